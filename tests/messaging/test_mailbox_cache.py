"""The recipients' mailboxes are looked up once per process (mailstore.mailbox_known): a tenant
deleted and seeded again with other mailboxes must not keep its old ones, and a mailbox seeded
after the first lookups must be found."""

from __future__ import annotations

from sqlalchemy import insert

from sandbox.auth import Actor
from sandbox.messaging.models import MailboxRow
from sandbox.messaging.submission import (
    MailService,
    RecipientAdded,
    Refusal,
    Refused,
    Submission,
    Submitter,
    Via,
)
from sandbox.runtime import Sandbox
from sandbox.seeding import delete_tenant
from sandbox.settings import Settings

TENANT = "boites"
SENDER, KNOWN, LATER = ("medecin@ch-test.mssante.fr", "cardio@ch-test.mssante.fr",
                        "urgences@ch-test.mssante.fr")


def _boxes(session, *addresses: str) -> None:
    session.execute(insert(MailboxRow), [
        {"tenant": TENANT, "address": a, "type": "PER", "owner_id": None, "uid_next": 1,
         "uid_validity": 0} for a in addresses])


def _recipient(service: MailService, address: str) -> RecipientAdded | Refused:
    who = Submitter(Actor(TENANT, "medecin", "medecin", "p1"), SENDER)
    return service.add_recipient(Submission(who, SENDER, Via("ESMTPSA")), address)


def test_a_deleted_tenant_forgets_its_mailboxes_and_new_ones_are_found(tmp_path):
    sandbox = Sandbox.open(Settings(db=f"sqlite:///{tmp_path / 'boites.sqlite'}",
                                    data_dir=tmp_path))
    service = MailService(sandbox)
    with sandbox.store.session() as session:
        _boxes(session, SENDER, KNOWN)
    assert _recipient(service, KNOWN) == RecipientAdded(KNOWN, duplicate=False)
    assert _recipient(service, LATER).kind is Refusal.UNKNOWN_RECIPIENT

    with sandbox.store.session() as session:  # reset, seeded again without KNOWN
        delete_tenant(session, TENANT)
        _boxes(session, SENDER, LATER)
    refused = _recipient(service, KNOWN)
    assert refused.kind is Refusal.UNKNOWN_RECIPIENT, refused
    assert KNOWN in refused.reason and "Annuaire" in refused.reason
    assert _recipient(service, LATER) == RecipientAdded(LATER, duplicate=False)
    sandbox.store.dispose()
