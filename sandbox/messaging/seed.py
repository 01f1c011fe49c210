"""Seed the MSSanté mailboxes of a tenant from the population's Annuaire Santé."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.orm import Session

from sandbox.messaging.models import MailboxRow


def seed(session: Session, tenant: str, population) -> None:
    """Every mailbox the directory lists (PER, ORG, CAB, APP), empty, uid 1 next; its
    UIDVALIDITY is given when IMAP first opens it."""
    rows = {
        box.address.lower(): {"tenant": tenant, "address": box.address.lower(), "type": box.type,
                              "owner_id": box.owner_id, "uid_next": 1, "uid_validity": 0}
        for box in population.mailboxes
    }
    if rows:
        session.execute(insert(MailboxRow), list(rows.values()))
