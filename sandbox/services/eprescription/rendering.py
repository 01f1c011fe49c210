"""An e-prescription as the service answers it (`PrescriptionOut`), read from its rows."""

from __future__ import annotations

from sqlalchemy import select

from sandbox.injection import ServiceContext
from sandbox.services.eprescription import numbers
from sandbox.services.eprescription.models import ErxDispenseRow, ErxPrescriptionRow
from sandbox.services.eprescription.prescriptions import lines_of
from sandbox.services.eprescription.schemas import (
    DMP_FILING,
    STATUS_LABELS,
    DispenseOut,
    LineOut,
    PrescriptionOut,
)


def rendered(ctx: ServiceContext, row: ErxPrescriptionRow) -> PrescriptionOut:
    lines = lines_of(ctx, row)
    acts = ctx.session.scalars(select(ErxDispenseRow).where(
        ErxDispenseRow.tenant == ctx.tenant, ErxDispenseRow.number == row.number)
        .order_by(ErxDispenseRow.id)).all()
    return PrescriptionOut(
        numero=numbers.display(row.number), qr=numbers.qr_payload(row.number),
        patient=row.patient_id, ins=row.ins, prescripteur=row.prescriber_login,
        statut=row.status, statut_libelle=STATUS_LABELS[row.status], date=row.created_at,
        officine=row.claimed_by, motif_annulation=row.cancel_reason, note=row.note,
        document_dmp=row.dmp_document_id,
        versement_dmp=DMP_FILING[row.dmp_filing],
        lignes=[LineOut(ligne=x.line, medicament=x.drug, atc=x.atc, posologie=x.dosage,
                        quantite=x.quantity, duree_jours=x.duration_days, delivre=x.dispensed,
                        reste=x.quantity - x.dispensed) for x in lines],
        delivrances=[DispenseOut(id=a.id, ligne=a.line, quantite=a.quantity,
                                 pharmacien=a.pharmacist, date=a.at) for a in acts])


def answer(ctx: ServiceContext, row: ErxPrescriptionRow) -> PrescriptionOut:
    """The answer after a write: flushed first, so that it reads what the request wrote (the
    request commits before the answer is sent, sandbox/transactions.py)."""
    ctx.session.flush()
    return rendered(ctx, row)
