"""The single-use QR: a pharmacist's scan reserves the prescription for that officine.

- the first scan by a pharmacist (`POST /eprescription/scan`, or reading the prescription as a
  pharmacist) reserves the prescription for that pharmacist's officine;
- the same pharmacist may scan it again (to finish a partial dispensing); any other pharmacist
  gets 409 (already taken by another pharmacy), so the QR cannot be used in two pharmacies;
- once completed or cancelled, the QR is deactivated: every scan gets 410.
"""

from __future__ import annotations

from sqlalchemy import or_, update

from sandbox.errors import ALREADY_DONE, ServiceError
from sandbox.injection import ServiceContext
from sandbox.services.eprescription import numbers
from sandbox.services.eprescription.models import ErxPrescriptionRow
from sandbox.services.eprescription.prescriptions import trace
from sandbox.services.eprescription.schemas import STATUS_LABELS


def already_dispensed(number: str) -> ServiceError:
    return ServiceError(409, f"L'e-prescription n° {numbers.display(number)} est déjà "
                             f"entièrement délivrée : double délivrance refusée. {ALREADY_DONE}",
                        code="conflict")


def claim(ctx: ServiceContext, row: ErxPrescriptionRow, action: str) -> None:
    """Reserve the prescription for this pharmacist, atomically."""
    if row.status == "completed" and action == "erx.dispense":
        raise ctx.refuse(action, already_dispensed(row.number), **trace(row))
    if row.status in ("completed", "cancelled"):
        raise ctx.refuse(action, ServiceError(
            410, f"QR code désactivé : l'e-prescription n° {numbers.display(row.number)} est "
                 f"{STATUS_LABELS[row.status]} ; elle ne peut plus être délivrée.",
            code="deleted"), **trace(row))
    login = ctx.actor.login
    if row.claimed_by == login:
        return
    claimed = ctx.session.execute(
        update(ErxPrescriptionRow)
        .where(ErxPrescriptionRow.tenant == ctx.tenant, ErxPrescriptionRow.number == row.number,
               or_(ErxPrescriptionRow.claimed_by.is_(None),
                   ErxPrescriptionRow.claimed_by == login))
        .values(claimed_by=login, claimed_at=ctx.now()))
    if claimed.rowcount != 1:
        raise ctx.refuse(action, ServiceError(
            409, f"L'e-prescription n° {numbers.display(row.number)} a déjà été scannée par une "
                 "autre officine : son QR code est à usage unique. Le patient doit s'adresser à "
                 "la pharmacie qui l'a prise en charge.", code="conflict"), **trace(row))
    ctx.record("erx.scan", **trace(row))
