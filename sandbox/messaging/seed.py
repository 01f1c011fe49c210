"""Seed the MSSanté mailboxes of a tenant from the population's Annuaire Santé."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.orm import Session

from sandbox.messaging.models import MailboxRow


def _directory(population):
    found = getattr(population, "directory", None)
    if found is None:
        found = getattr(getattr(population, "simulator", None), "directory", None)
    return found


def seed(session: Session, tenant: str, population) -> None:
    """Every mailbox the directory lists (PER, ORG, CAB, APP), empty, uid 1 next."""
    rows = {}
    directory = _directory(population)
    boxes = directory.mailboxes if directory is not None else (
        [(p.mssante, "PER", p.id) for p in population.practitioners]
        + [(o.mssante, "ORG", o.id) for o in population.organizations])
    for address, kind, owner in boxes:
        rows[address.lower()] = {"tenant": tenant, "address": address.lower(),
                                 "type": kind, "owner_id": owner, "uid_next": 1,
                                 "uid_validity": 1}
    if rows:
        session.execute(insert(MailboxRow), list(rows.values()))
