"""Seed the MSSanté mailboxes of a tenant: the population's Annuaire Santé, and one Mon espace
santé messaging box per person the national INS base knows."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.orm import Session

from sandbox.messaging.mailstore import PATIENT_BOX, patient_mailbox
from sandbox.messaging.models import MailboxRow


def seed(session: Session, tenant: str, population) -> None:
    """Every mailbox the directory lists (PER, ORG, CAB, APP) and every patient's (PAT, at
    `<matricule INS>@patient.mssante.fr`), empty, uid 1 next; its UIDVALIDITY is given when
    IMAP first opens it."""
    boxes = [(box.address, box.type, box.owner_id) for box in population.mailboxes]
    boxes += [(address, PATIENT_BOX, p.id) for p in population.identities()
              if (address := patient_mailbox(p))]
    rows = {
        address.lower(): {"tenant": tenant, "address": address.lower(), "type": kind,
                          "owner_id": owner, "uid_next": 1, "uid_validity": 0}
        for address, kind, owner in boxes
    }
    if rows:
        session.execute(insert(MailboxRow), list(rows.values()))
