"""Reading an e-prescription for a request: by number (an unknown one is a traced 404), its
lines, its trace in the event stream, its committed state."""

from __future__ import annotations

from sqlalchemy import select

from sandbox.errors import ServiceError
from sandbox.injection import ServiceContext
from sandbox.services.eprescription import numbers
from sandbox.services.eprescription.models import ErxLineRow, ErxPrescriptionRow


def load(ctx: ServiceContext, code: str, action: str) -> ErxPrescriptionRow:
    number = numbers.parse(code)
    row = ctx.session.get(ErxPrescriptionRow, (ctx.tenant, number))
    if row is None:
        raise ctx.refuse(action, ServiceError(
            404, f"Aucune e-prescription n° {numbers.display(number)} dans ce bac à sable : "
                 "vérifiez le numéro."), target=f"erx/{number}")
    return row


def lines_of(ctx: ServiceContext, row: ErxPrescriptionRow) -> list[ErxLineRow]:
    return list(ctx.session.scalars(select(ErxLineRow).where(
        ErxLineRow.tenant == ctx.tenant, ErxLineRow.number == row.number)
        .order_by(ErxLineRow.line)))


def trace(row: ErxPrescriptionRow) -> dict:
    """The target and patient of the prescription's events."""
    return {"target": f"erx/{row.number}", "patient": row.patient_id}


def committed(ctx: ServiceContext, model, key: tuple):
    """The committed state of a row, read in a new transaction (the request's may still hold
    its own writes, and on SQLite its snapshot predates a concurrent request's commit)."""
    with ctx.sandbox.store.session() as session:
        return session.get(model, key)
