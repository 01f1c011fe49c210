"""The ordonnance's copy in the patient's DMP, filed through the DMP's port (dmp/feed.py)."""

from __future__ import annotations

from fastapi import Request

from sandbox.errors import ServiceError
from sandbox.faults import fault_error
from sandbox.injection import ServiceContext
from sandbox.services.dmp import feed as dmp_feed
from sandbox.services.eprescription import numbers
from sandbox.services.eprescription.models import ErxLineRow, ErxPrescriptionRow

PRESCRIPTION_LOINC = "57833-6"  # ordonnance de produits de santé (J57 class 42)


def dmp_down(ctx: ServiceContext, request: Request) -> ServiceError | None:
    """The error a drill's fault on "dmp" gives: it holds for the e-prescription's in-process
    deposits too, not only for requests to /dmp."""
    fault = request.app.state.faults.active(ctx.tenant).get("dmp")
    return fault_error(fault, "dmp") if fault is not None else None


def ordonnance_text(row: ErxPrescriptionRow, lines: list[ErxLineRow]) -> str:
    """The ordonnance as filed in the DMP (readable text, one paragraph per line)."""
    text = [f"Ordonnance numérique n° {numbers.display(row.number)}",
            f"Prescripteur : {row.prescriber_login}",
            f"Date : {row.created_at.date().isoformat()}", ""]
    for x in lines:
        atc = f" (ATC {x.atc})" if x.atc else ""
        text.append(f"{x.line}. {x.drug}{atc} — {x.dosage} — {x.quantity} boîte(s), "
                    f"{x.duration_days} jours")
    if row.note:
        text += ["", row.note]
    return "\n".join(text) + "\n"


def file_in_dmp(ctx: ServiceContext, row: ErxPrescriptionRow, patient: dmp_feed.DmpPatient,
                lines: list[ErxLineRow]) -> None:
    """As the real service does, file the ordonnance in the patient's DMP (unless the patient
    closed it); `row.dmp_filing` says which."""
    filed = dmp_feed.file_text(
        ctx.session, event=ctx.event("erx.create"), patient=patient,
        author_id=ctx.actor.practitioner_id, type_code=PRESCRIPTION_LOINC,
        title=f"Ordonnance numérique n° {numbers.display(row.number)}",
        text=ordonnance_text(row, lines), master_identifier=f"urn:santelab:erx:{row.number}",
        date=row.created_at)
    row.dmp_document_id = filed
    row.dmp_filing = "depose" if filed is not None else "dmp_ferme"
