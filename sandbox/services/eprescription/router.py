"""E-prescription (ordonnance numérique): prescribe, scan, dispense line by line, cancel.

Lifecycle: active → partially-dispensed → completed; a prescriber cancels an active or partially
dispensed prescription (cancelled). A pharmacist's scan reserves the prescription for the
officine (the single-use QR, claim.py); dispensing a line beyond what remains, or a completed
prescription, is a double dispensing: 409; dispensing a cancelled prescription: 410.
The prescriber and the patient read their prescriptions at any time without claiming them.
The ordonnance is filed in the patient's DMP (dmp_filing.py) through the DMP's port.
"""

from __future__ import annotations

import hashlib
import io
import time
import uuid
from typing import Annotated

import segno
from fastapi import Depends, Header, Request, Response
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from sandbox.errors import ALREADY_DONE, ServiceError
from sandbox.fhir import FhirResponse
from sandbox.injection import ServiceContext, service_context
from sandbox.service_router import ServiceRouter
from sandbox.services.dmp import feed as dmp_feed
from sandbox.services.eprescription import fhir as erx_fhir
from sandbox.services.eprescription import numbers
from sandbox.services.eprescription.claim import already_dispensed, claim
from sandbox.services.eprescription.dmp_filing import dmp_down, file_in_dmp
from sandbox.services.eprescription.models import ErxDispenseRow, ErxLineRow, ErxPrescriptionRow
from sandbox.services.eprescription.prescriptions import committed, lines_of, load, trace
from sandbox.services.eprescription.rendering import answer, rendered
from sandbox.services.eprescription.schemas import (
    STATUS_LABELS,
    CancelIn,
    DispenseIn,
    PrescriptionIn,
    PrescriptionOut,
    ScanIn,
)

router = ServiceRouter(prefix="/eprescription", tags=["E-prescription"])
Ctx = Annotated[ServiceContext, Depends(service_context("eprescription", autoflush=False))]


def _dispense_id() -> str:
    """Sortable by arrival even under a frozen drill clock: wall-clock nanoseconds + random."""
    return f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"




def _replay(ctx: ServiceContext, key: str, request_hash: str) -> ErxPrescriptionRow | None:
    """The prescription this caller already created under `key` (None: the key is new to
    them), provided the request is the same; traced either way.

    Keys are scoped to their caller (tenant + persona), as the unique constraint is: another
    caller's key is unknown here, and their request simply creates their own prescription.
    Answering them 422 instead would tell them someone else used that key, and let anyone
    block a prescriber's retries by using her keys first.
    """
    existing = ctx.session.scalars(select(ErxPrescriptionRow).where(
        ErxPrescriptionRow.tenant == ctx.tenant,
        ErxPrescriptionRow.prescriber_login == ctx.actor.login,
        ErxPrescriptionRow.idempotency_key == key)).first()
    if existing is None:
        return None
    if existing.idempotency_hash != request_hash:
        raise ctx.refuse("erx.replay", ServiceError(
            422, f"Clé d'idempotence « {key} » déjà utilisée pour une autre demande (contenu "
                 "différent) : renvoyez exactement la même demande pour la rejouer, ou "
                 "choisissez une nouvelle clé pour une nouvelle e-prescription.",
            code="business-rule"), **trace(existing))
    ctx.record("erx.replay", **trace(existing), detail={"cle": key})
    return existing


@router.post("/prescriptions", response_model=PrescriptionOut, status_code=201,
             summary="Établir une e-prescription")
def create_prescription(body: PrescriptionIn, ctx: Ctx, request: Request, response: Response,
                        idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
                        ) -> PrescriptionOut:
    try:
        patient = dmp_feed.find_patient(ctx.session, ctx.tenant, body.patient, "patient")
    except ServiceError as error:
        raise ctx.refuse("erx.create", error) from None
    ctx.require("erx.create", patient=patient.patient_id)
    request_hash = hashlib.sha256(body.model_dump_json().encode()).hexdigest()
    if idempotency_key:
        existing = _replay(ctx, idempotency_key, request_hash)
        if existing is not None:
            response.status_code = 200
            return rendered(ctx, existing)
    row = ErxPrescriptionRow(
        tenant=ctx.tenant, number=numbers.new_number(), patient_id=patient.patient_id,
        ins=patient.ins, prescriber_id=ctx.actor.practitioner_id,
        prescriber_login=ctx.actor.login, status="active", created_at=ctx.now(), note=body.note,
        idempotency_key=idempotency_key,
        idempotency_hash=request_hash if idempotency_key else None)
    lines = [ErxLineRow(tenant=ctx.tenant, number=row.number, line=i, atc=x.atc,
                        drug=x.medicament, dosage=x.posologie, quantity=x.quantite,
                        duration_days=x.duree_jours, dispensed=0)
             for i, x in enumerate(body.lignes, start=1)]
    ctx.session.add(row)
    ctx.session.add_all(lines)
    if dmp_down(ctx, request) is None:
        file_in_dmp(ctx, row, patient, lines)
    else:  # the prescription stands; its DMP copy waits for the prescriber's catch-up
        row.dmp_filing = "dmp_indisponible"
    ctx.record("erx.create", **trace(row), detail={"lignes": len(body.lignes),
                                                     "dmp": row.dmp_document_id,
                                                     "versement_dmp": row.dmp_filing})
    try:
        return answer(ctx, row)
    except IntegrityError:
        raise ServiceError(409, "Une e-prescription avec cette clé d'idempotence vient d'être "
                                "créée par une requête concurrente : renvoyez la requête pour "
                                "l'obtenir.", code="conflict") from None


@router.get("/prescriptions", response_model=list[PrescriptionOut],
            summary="Mes e-prescriptions (patient) ou celles que j'ai établies (prescripteur)")
def list_prescriptions(ctx: Ctx) -> list[PrescriptionOut]:
    ctx.require("erx.read")
    query = select(ErxPrescriptionRow).where(ErxPrescriptionRow.tenant == ctx.tenant)
    if ctx.actor.role == "patient":
        query = query.where(ErxPrescriptionRow.patient_id == ctx.actor.patient_id)
    elif ctx.actor.role == "pharmacien":
        query = query.where(ErxPrescriptionRow.claimed_by == ctx.actor.login)
    else:
        query = query.where(ErxPrescriptionRow.prescriber_login == ctx.actor.login)
    rows = ctx.session.scalars(query.order_by(ErxPrescriptionRow.created_at.desc())).all()
    return [rendered(ctx, r) for r in rows]


def _read(ctx: ServiceContext, code: str) -> PrescriptionOut:
    row = load(ctx, code, "erx.read")
    ctx.require("erx.read", **trace(row))
    actor = ctx.actor
    if actor.role == "pharmacien":
        claim(ctx, row, "erx.read")
    elif actor.role == "patient":
        if actor.patient_id != row.patient_id:
            raise ctx.refuse("erx.read", ServiceError(
                403, "Un patient ne consulte que ses propres e-prescriptions."), **trace(row))
    elif actor.login != row.prescriber_login:
        raise ctx.refuse("erx.read", ServiceError(
            403, "Seul le prescripteur (ou le pharmacien qui scanne le QR code) lit cette "
                 "e-prescription."), **trace(row))
    ctx.record("erx.read", **trace(row))
    return answer(ctx, row)


@router.get("/prescriptions/{number}", response_model=PrescriptionOut,
            summary="Lire une e-prescription (pour un pharmacien : scan du numéro)")
def read_prescription(number: str, ctx: Ctx) -> PrescriptionOut:
    return _read(ctx, number)


@router.get("/prescriptions/{number}/fhir", summary="L'e-prescription en FHIR R4 (Bundle)",
            response_class=FhirResponse)
def read_prescription_fhir(number: str, ctx: Ctx) -> FhirResponse:
    """MedicationRequest per line + MedicationDispense per act; same rights as the read."""
    return FhirResponse(erx_fhir.bundle(_read(ctx, number)))


@router.post("/scan", response_model=PrescriptionOut, summary="Scanner le QR code (pharmacien)")
def scan(body: ScanIn, ctx: Ctx) -> PrescriptionOut:
    row = load(ctx, body.code, "erx.scan")
    ctx.require("erx.dispense", **trace(row))
    return _read(ctx, body.code)


@router.get("/prescriptions/{number}/qr.png", summary="QR code de l'e-prescription (PNG)",
            response_class=Response, responses={200: {"content": {"image/png": {}}}})
def qr_png(number: str, ctx: Ctx) -> Response:
    row = load(ctx, number, "erx.read")
    if ctx.actor.login != row.prescriber_login and ctx.actor.patient_id != row.patient_id:
        raise ctx.refuse("erx.read", ServiceError(
            403, "Le QR code n'est remis qu'au patient (et visible du prescripteur)."),
            **trace(row))
    buffer = io.BytesIO()
    segno.make(numbers.qr_payload(row.number), error="m").save(buffer, kind="png", scale=6)
    return Response(buffer.getvalue(), media_type="image/png")


@router.post("/prescriptions/{number}/dispense", response_model=PrescriptionOut,
             summary="Enregistrer la délivrance d'une ligne")
def dispense(number: str, body: DispenseIn, ctx: Ctx) -> PrescriptionOut:
    row = load(ctx, number, "erx.dispense")
    ctx.require("erx.dispense", **trace(row))
    claim(ctx, row, "erx.dispense")
    line = ctx.session.get(ErxLineRow, (ctx.tenant, row.number, body.ligne))
    if line is None:
        raise ctx.refuse("erx.dispense", ServiceError(
            400, f"Ligne {body.ligne} inexistante : cette e-prescription a des lignes numérotées "
                 "à partir de 1.", expression=["ligne"]), **trace(row))
    # Atomic: the quantity only moves if it stays within what was prescribed and the
    # prescription is still dispensable (a cancellation or a concurrent dispensing loses).
    moved = ctx.session.execute(
        update(ErxLineRow)
        .where(ErxLineRow.tenant == ctx.tenant, ErxLineRow.number == row.number,
               ErxLineRow.line == body.ligne,
               ErxLineRow.dispensed + body.quantite <= ErxLineRow.quantity)
        .values(dispensed=ErxLineRow.dispensed + body.quantite))
    if moved.rowcount != 1:
        current = committed(ctx, ErxLineRow, (ctx.tenant, row.number, body.ligne))
        remaining = current.quantity - current.dispensed
        text = (f"Ligne {body.ligne} déjà entièrement délivrée ({current.quantity} sur "
                f"{current.quantity}) : double délivrance refusée. {ALREADY_DONE}"
                if remaining == 0 else
                f"Ligne {body.ligne} : il reste {remaining} à délivrer sur {current.quantity}, "
                f"{body.quantite} demandé(s) : double délivrance refusée.")
        raise ctx.refuse("erx.dispense", ServiceError(409, text, code="conflict"), **trace(row))
    status_now = ctx.session.execute(
        update(ErxPrescriptionRow)
        .where(ErxPrescriptionRow.tenant == ctx.tenant, ErxPrescriptionRow.number == row.number,
               ErxPrescriptionRow.status.in_(("active", "partially-dispensed")),
               ErxPrescriptionRow.claimed_by == ctx.actor.login)
        .values(status="partially-dispensed"))
    if status_now.rowcount != 1:
        current = committed(ctx, ErxPrescriptionRow, (ctx.tenant, row.number))
        error = (already_dispensed(current.number) if current.status == "completed" else
                 ServiceError(410 if current.status == "cancelled" else 409,
                              f"E-prescription {STATUS_LABELS[current.status]} : délivrance "
                              "impossible.", code="conflict"))
        raise ctx.refuse("erx.dispense", error, **trace(row))
    ctx.session.add(ErxDispenseRow(
        tenant=ctx.tenant, id=_dispense_id(), number=row.number, line=body.ligne,
        quantity=body.quantite, pharmacist=ctx.actor.login,
        pharmacist_id=ctx.actor.practitioner_id, at=ctx.now()))
    ctx.session.flush()
    lines = lines_of(ctx, row)
    if all(x.dispensed >= x.quantity for x in lines):
        row.status = "completed"
    ctx.record("erx.dispense", **trace(row),
               detail={"ligne": body.ligne, "quantite": body.quantite, "statut": row.status})
    return answer(ctx, row)


@router.post("/prescriptions/{number}/versement-dmp", response_model=PrescriptionOut,
             summary="Verser au DMP une ordonnance qu'une panne du DMP a laissée hors DMP "
                     "(prescripteur)")
def file_after_outage(number: str, ctx: Ctx, request: Request) -> PrescriptionOut:
    """The catch-up of a degraded-mode drill: once the DMP is back, the prescriber files what
    the outage kept out. Filing twice changes nothing."""
    row = load(ctx, number, "erx.create")
    ctx.require("erx.create", **trace(row))
    if ctx.actor.login != row.prescriber_login:
        raise ctx.refuse("erx.create", ServiceError(
            403, "Seul le prescripteur qui l'a établie peut verser cette ordonnance au DMP."),
            **trace(row))
    down = dmp_down(ctx, request) if row.dmp_filing == "dmp_indisponible" else None
    if down is not None:
        raise ctx.refuse("erx.create", down, **trace(row))
    # Claim the deposit (a concurrent request for the same ordonnance waits, then finds it done).
    claimed = ctx.session.execute(
        update(ErxPrescriptionRow)
        .where(ErxPrescriptionRow.tenant == ctx.tenant, ErxPrescriptionRow.number == row.number,
               ErxPrescriptionRow.dmp_filing == "dmp_indisponible")
        .values(dmp_filing="depose"))
    ctx.session.refresh(row)
    if claimed.rowcount == 1:
        patient = dmp_feed.patient_by_id(ctx.session, ctx.tenant, row.patient_id)
        file_in_dmp(ctx, row, patient, lines_of(ctx, row))
        ctx.record("erx.dmp.file", **trace(row), detail={"dmp": row.dmp_document_id,
                                                           "versement_dmp": row.dmp_filing})
    return answer(ctx, row)


@router.post("/prescriptions/{number}/cancel", response_model=PrescriptionOut,
             summary="Annuler une e-prescription (prescripteur)")
def cancel(number: str, ctx: Ctx, body: CancelIn | None = None) -> PrescriptionOut:
    row = load(ctx, number, "erx.cancel")
    ctx.require("erx.cancel", **trace(row))
    if ctx.actor.login != row.prescriber_login:
        raise ctx.refuse("erx.cancel", ServiceError(
            403, "Seul le prescripteur qui l'a établie peut annuler cette e-prescription."),
            **trace(row))
    done = ctx.session.execute(
        update(ErxPrescriptionRow)
        .where(ErxPrescriptionRow.tenant == ctx.tenant, ErxPrescriptionRow.number == row.number,
               ErxPrescriptionRow.status.in_(("active", "partially-dispensed")))
        .values(status="cancelled", cancel_reason=(body.motif if body else None)))
    if done.rowcount != 1:
        current = committed(ctx, ErxPrescriptionRow, (ctx.tenant, row.number))
        raise ctx.refuse("erx.cancel", ServiceError(
            409, f"E-prescription {STATUS_LABELS[current.status]} : elle ne peut plus être "
                 "annulée." + (f" {ALREADY_DONE}" if current.status == "cancelled" else ""),
            code="conflict"), **trace(row))
    ctx.record("erx.cancel", **trace(row), detail={"motif": body.motif if body else None})
    return answer(ctx, row)
