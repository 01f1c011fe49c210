"""E-prescription (ordonnance numérique): prescribe, scan, dispense line by line, cancel.

Lifecycle: active → partially-dispensed → completed; a prescriber cancels an active or partially
dispensed prescription (cancelled). What "single-use QR" means here, precisely:
- the first scan by a pharmacist (`POST /eprescription/scan`, or reading the prescription as a
  pharmacist) reserves the prescription for that pharmacist's officine;
- the same pharmacist may scan it again (to finish a partial dispensing); any other pharmacist
  gets 409 (already taken by another pharmacy), so the QR cannot be used in two pharmacies;
- once completed or cancelled, the QR is deactivated: every scan gets 410;
- dispensing a line beyond what remains, or a completed prescription, is a double dispensing:
  409; dispensing a cancelled prescription: 410.
The prescriber and the patient read their prescriptions at any time without claiming them.
"""

from __future__ import annotations

import hashlib
import io
import re
import time
import uuid
from datetime import datetime
from typing import Annotated, Literal

import segno
from fastapi import Depends, Header, Request, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from sandbox.deps import ServiceContext, ServiceRouter, service_context
from sandbox.errors import ServiceError
from sandbox.faults import fault_error
from sandbox.fhir import FhirResponse
from sandbox.services.dmp import feed as dmp_feed
from sandbox.services.dmp import patients
from sandbox.services.dmp.models import DmpPatientRow
from sandbox.services.eprescription import fhir as erx_fhir
from sandbox.services.eprescription import numbers
from sandbox.services.eprescription.models import ErxDispenseRow, ErxLineRow, ErxPrescriptionRow

router = ServiceRouter(prefix="/eprescription", tags=["E-prescription"])

STATUS_LABELS = {
    "active": "active (à délivrer)",
    "partially-dispensed": "partiellement délivrée",
    "completed": "entièrement délivrée",
    "cancelled": "annulée par le prescripteur",
}
# What became of the DMP copy of the ordonnance (stored key -> French label).
DMP_FILING = {
    "depose": "déposée dans le DMP du patient",
    "dmp_ferme": "non déposée : le patient a fermé son DMP",
    "dmp_indisponible": "non déposée : DMP indisponible au moment de la prescription "
                        "(le prescripteur la verse au retour du DMP : POST …/versement-dmp)",
}
PRESCRIPTION_LOINC = "57833-6"  # ordonnance de produits de santé (J57 class 42)
_ATC = re.compile(r"^[A-Z]\d{2}[A-Z]{2}\d{2}$")
MAX_LINES = 20  # lines of one prescription; a line number beyond is refused before any query


Ctx = Annotated[ServiceContext, Depends(service_context("eprescription", autoflush=False))]


# --- typed models ---------------------------------------------------------------------------


class LineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    medicament: str = Field(min_length=2, max_length=256,
                            description="Dénomination (DCI ou nom commercial) et dosage")
    atc: str | None = Field(None, description="Code ATC (niveau 5, ex. A10BA02)")
    posologie: str = Field(min_length=2, max_length=512, description="Posologie en clair")
    quantite: int = Field(ge=1, le=100, description="Nombre de boîtes (ou unités) à délivrer")
    duree_jours: int = Field(ge=1, le=365, description="Durée du traitement en jours")

    @field_validator("atc")
    @classmethod
    def _atc_shape(cls, value: str | None) -> str | None:
        if value is not None and not _ATC.match(value.upper()):
            raise ValueError(f"code ATC « {value} » mal formé (7 caractères, ex. A10BA02)")
        return value.upper() if value else None


class PrescriptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    patient: str = Field(description="INS qualifiée du patient (ou urn:oid:1.2.250.1.213.1.4.10|INS)")
    lignes: list[LineIn] = Field(min_length=1, max_length=MAX_LINES)
    note: str | None = Field(None, max_length=1024)


class LineOut(BaseModel):
    ligne: int
    medicament: str
    atc: str | None
    posologie: str
    quantite: int
    duree_jours: int
    delivre: int
    reste: int


class DispenseOut(BaseModel):
    id: str
    ligne: int
    quantite: int
    pharmacien: str
    date: datetime


class PrescriptionOut(BaseModel):
    numero: str
    qr: str = Field(description="Contenu du QR code (usage unique)")
    patient: str
    ins: str
    prescripteur: str
    statut: Literal["active", "partially-dispensed", "completed", "cancelled"]
    statut_libelle: str
    date: datetime
    officine: str | None = Field(description="Pharmacien qui a scanné l'ordonnance")
    motif_annulation: str | None
    note: str | None
    document_dmp: str | None = Field(
        description="DocumentReference de l'ordonnance déposée dans le DMP (vide si non déposée)")
    versement_dmp: str = Field(description="Ce qu'est devenue la copie DMP de l'ordonnance")
    lignes: list[LineOut]
    delivrances: list[DispenseOut]


class ScanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=128, description="Contenu du QR code ou numéro")


class DispenseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ligne: int = Field(ge=1, le=MAX_LINES, description="Numéro de la ligne de prescription")
    quantite: int = Field(ge=1, le=100, description="Quantité délivrée maintenant")


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    motif: str | None = Field(None, max_length=512)


# --- helpers --------------------------------------------------------------------------------


def _dmp_down(ctx: ServiceContext, request: Request) -> ServiceError | None:
    """The error a drill's fault on "dmp" gives: it holds for the e-prescription's in-process
    deposits too, not only for requests to /dmp."""
    fault = request.app.state.faults.active(ctx.tenant).get("dmp")
    return fault_error(fault, "dmp") if fault is not None else None


def _lines(ctx: ServiceContext, row: ErxPrescriptionRow) -> list[ErxLineRow]:
    return list(ctx.session.scalars(select(ErxLineRow).where(
        ErxLineRow.tenant == ctx.tenant, ErxLineRow.number == row.number)
        .order_by(ErxLineRow.line)))


def _file_in_dmp(ctx: ServiceContext, row: ErxPrescriptionRow, patient: DmpPatientRow,
                 lines: list[ErxLineRow]) -> None:
    """As the real service does, file the ordonnance in the patient's DMP (unless the patient
    closed it); `row.dmp_filing` says which."""
    filed = dmp_feed.file_text(
        ctx.session, event=ctx.event("erx.create"), patient=patient,
        author_id=ctx.actor.practitioner_id, type_code=PRESCRIPTION_LOINC,
        title=f"Ordonnance numérique n° {numbers.display(row.number)}",
        text=_ordonnance_text(row, lines), master_identifier=f"urn:santelab:erx:{row.number}",
        date=row.created_at)
    row.dmp_document_id = filed.id if filed is not None else None
    row.dmp_filing = "depose" if filed is not None else "dmp_ferme"


def _dispense_id() -> str:
    """Sortable by arrival even under a frozen drill clock: wall-clock nanoseconds + random."""
    return f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"


def _out(ctx: ServiceContext, row: ErxPrescriptionRow) -> PrescriptionOut:
    lines = _lines(ctx, row)
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


def _load(ctx: ServiceContext, code: str, action: str) -> ErxPrescriptionRow:
    number = numbers.parse(code)
    row = ctx.session.get(ErxPrescriptionRow, (ctx.tenant, number))
    if row is None:
        raise ctx.refuse(action, ServiceError(
            404, f"Aucune e-prescription n° {numbers.display(number)} dans ce bac à sable : "
                 "vérifiez le numéro."), target=f"erx/{number}")
    return row


def _trace(row: ErxPrescriptionRow) -> dict:
    return {"target": f"erx/{row.number}", "patient": row.patient_id}


def _fail(ctx: ServiceContext, action: str, error: ServiceError, row: ErxPrescriptionRow):
    """Undo this request's writes (releasing the write lock), then trace and raise the refusal."""
    trace = _trace(row)  # read before the rollback expires the row
    ctx.session.rollback()
    raise ctx.refuse(action, error, **trace)


def _fresh(ctx: ServiceContext, model, key: tuple):
    """The committed state of a row, read in a new transaction (after a rollback)."""
    with ctx.sandbox.store.session() as session:
        return session.get(model, key)


def _already_dispensed(number: str) -> ServiceError:
    return ServiceError(409, f"L'e-prescription n° {numbers.display(number)} est déjà "
                             "entièrement délivrée : double délivrance refusée.", code="conflict")


def _claim(ctx: ServiceContext, row: ErxPrescriptionRow, action: str) -> None:
    """Reserve the prescription for this pharmacist, atomically (the single-use QR)."""
    if row.status == "completed" and action == "erx.dispense":
        raise ctx.refuse(action, _already_dispensed(row.number), **_trace(row))
    if row.status in ("completed", "cancelled"):
        raise ctx.refuse(action, ServiceError(
            410, f"QR code désactivé : l'e-prescription n° {numbers.display(row.number)} est "
                 f"{STATUS_LABELS[row.status]} ; elle ne peut plus être délivrée.",
            code="deleted"), **_trace(row))
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
        _fail(ctx, action, ServiceError(
            409, f"L'e-prescription n° {numbers.display(row.number)} a déjà été scannée par une "
                 "autre officine : son QR code est à usage unique. Le patient doit s'adresser à "
                 "la pharmacie qui l'a prise en charge.", code="conflict"), row)
    ctx.record("erx.scan", **_trace(row))


def _commit(ctx: ServiceContext, row: ErxPrescriptionRow) -> PrescriptionOut:
    """Render the answer, then commit: the write is durable before the client hears of it."""
    ctx.session.flush()
    out = _out(ctx, row)
    ctx.session.commit()
    return out


def _ordonnance_text(row: ErxPrescriptionRow, lines: list[ErxLineRow]) -> str:
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


# --- routes ---------------------------------------------------------------------------------


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
            code="business-rule"), **_trace(existing))
    ctx.record("erx.replay", **_trace(existing), detail={"cle": key})
    return existing


@router.post("/prescriptions", response_model=PrescriptionOut, status_code=201,
             summary="Établir une e-prescription")
def create_prescription(body: PrescriptionIn, ctx: Ctx, request: Request, response: Response,
                        idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
                        ) -> PrescriptionOut:
    try:
        patient = patients.from_reference(ctx.session, ctx.tenant, body.patient, "patient")
    except ServiceError as error:
        raise ctx.refuse("erx.create", error) from None
    ctx.require("erx.create", patient=patient.patient_id)
    request_hash = hashlib.sha256(body.model_dump_json().encode()).hexdigest()
    if idempotency_key:
        existing = _replay(ctx, idempotency_key, request_hash)
        if existing is not None:
            response.status_code = 200
            return _commit(ctx, existing)
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
    if _dmp_down(ctx, request) is None:
        _file_in_dmp(ctx, row, patient, lines)
    else:  # the prescription stands; its DMP copy waits for the prescriber's catch-up
        row.dmp_filing = "dmp_indisponible"
    ctx.record("erx.create", **_trace(row), detail={"lignes": len(body.lignes),
                                                     "dmp": row.dmp_document_id,
                                                     "versement_dmp": row.dmp_filing})
    try:
        return _commit(ctx, row)
    except IntegrityError:
        ctx.session.rollback()
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
    return [_out(ctx, r) for r in rows]


def _read(ctx: ServiceContext, code: str) -> PrescriptionOut:
    row = _load(ctx, code, "erx.read")
    ctx.require("erx.read", **_trace(row))
    actor = ctx.actor
    if actor.role == "pharmacien":
        _claim(ctx, row, "erx.read")
    elif actor.role == "patient":
        if actor.patient_id != row.patient_id:
            raise ctx.refuse("erx.read", ServiceError(
                403, "Un patient ne consulte que ses propres e-prescriptions."), **_trace(row))
    elif actor.login != row.prescriber_login:
        raise ctx.refuse("erx.read", ServiceError(
            403, "Seul le prescripteur (ou le pharmacien qui scanne le QR code) lit cette "
                 "e-prescription."), **_trace(row))
    ctx.record("erx.read", **_trace(row))
    return _commit(ctx, row)


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
    row = _load(ctx, body.code, "erx.scan")
    ctx.require("erx.dispense", **_trace(row))
    return _read(ctx, body.code)


@router.get("/prescriptions/{number}/qr.png", summary="QR code de l'e-prescription (PNG)",
            response_class=Response, responses={200: {"content": {"image/png": {}}}})
def qr_png(number: str, ctx: Ctx) -> Response:
    row = _load(ctx, number, "erx.read")
    if ctx.actor.login != row.prescriber_login and ctx.actor.patient_id != row.patient_id:
        raise ctx.refuse("erx.read", ServiceError(
            403, "Le QR code n'est remis qu'au patient (et visible du prescripteur)."),
            **_trace(row))
    buffer = io.BytesIO()
    segno.make(numbers.qr_payload(row.number), error="m").save(buffer, kind="png", scale=6)
    return Response(buffer.getvalue(), media_type="image/png")


@router.post("/prescriptions/{number}/dispense", response_model=PrescriptionOut,
             summary="Enregistrer la délivrance d'une ligne")
def dispense(number: str, body: DispenseIn, ctx: Ctx) -> PrescriptionOut:
    row = _load(ctx, number, "erx.dispense")
    ctx.require("erx.dispense", **_trace(row))
    _claim(ctx, row, "erx.dispense")
    line = ctx.session.get(ErxLineRow, (ctx.tenant, row.number, body.ligne))
    if line is None:
        _fail(ctx, "erx.dispense", ServiceError(
            400, f"Ligne {body.ligne} inexistante : cette e-prescription a des lignes numérotées "
                 "à partir de 1.", expression=["ligne"]), row)
    # Atomic: the quantity only moves if it stays within what was prescribed and the
    # prescription is still dispensable (a cancellation or a concurrent dispensing loses).
    moved = ctx.session.execute(
        update(ErxLineRow)
        .where(ErxLineRow.tenant == ctx.tenant, ErxLineRow.number == row.number,
               ErxLineRow.line == body.ligne,
               ErxLineRow.dispensed + body.quantite <= ErxLineRow.quantity)
        .values(dispensed=ErxLineRow.dispensed + body.quantite))
    trace = _trace(row)
    if moved.rowcount != 1:
        ctx.session.rollback()
        current = _fresh(ctx, ErxLineRow, (ctx.tenant, trace["target"][4:], body.ligne))
        remaining = current.quantity - current.dispensed
        text = (f"Ligne {body.ligne} déjà entièrement délivrée ({current.quantity} sur "
                f"{current.quantity}) : double délivrance refusée."
                if remaining == 0 else
                f"Ligne {body.ligne} : il reste {remaining} à délivrer sur {current.quantity}, "
                f"{body.quantite} demandé(s) : double délivrance refusée.")
        raise ctx.refuse("erx.dispense", ServiceError(409, text, code="conflict"), **trace)
    status_now = ctx.session.execute(
        update(ErxPrescriptionRow)
        .where(ErxPrescriptionRow.tenant == ctx.tenant, ErxPrescriptionRow.number == row.number,
               ErxPrescriptionRow.status.in_(("active", "partially-dispensed")),
               ErxPrescriptionRow.claimed_by == ctx.actor.login)
        .values(status="partially-dispensed"))
    if status_now.rowcount != 1:
        ctx.session.rollback()
        current = _fresh(ctx, ErxPrescriptionRow, (ctx.tenant, trace["target"][4:]))
        error = (_already_dispensed(current.number) if current.status == "completed" else
                 ServiceError(410 if current.status == "cancelled" else 409,
                              f"E-prescription {STATUS_LABELS[current.status]} : délivrance "
                              "impossible.", code="conflict"))
        raise ctx.refuse("erx.dispense", error, **trace)
    ctx.session.add(ErxDispenseRow(
        tenant=ctx.tenant, id=_dispense_id(), number=row.number, line=body.ligne,
        quantity=body.quantite, pharmacist=ctx.actor.login,
        pharmacist_id=ctx.actor.practitioner_id, at=ctx.now()))
    ctx.session.flush()
    lines = _lines(ctx, row)
    if all(x.dispensed >= x.quantity for x in lines):
        row.status = "completed"
    ctx.record("erx.dispense", **_trace(row),
               detail={"ligne": body.ligne, "quantite": body.quantite, "statut": row.status})
    return _commit(ctx, row)


@router.post("/prescriptions/{number}/versement-dmp", response_model=PrescriptionOut,
             summary="Verser au DMP une ordonnance qu'une panne du DMP a laissée hors DMP "
                     "(prescripteur)")
def file_after_outage(number: str, ctx: Ctx, request: Request) -> PrescriptionOut:
    """The catch-up of a degraded-mode drill: once the DMP is back, the prescriber files what
    the outage kept out. Filing twice changes nothing."""
    row = _load(ctx, number, "erx.create")
    ctx.require("erx.create", **_trace(row))
    if ctx.actor.login != row.prescriber_login:
        raise ctx.refuse("erx.create", ServiceError(
            403, "Seul le prescripteur qui l'a établie peut verser cette ordonnance au DMP."),
            **_trace(row))
    down = _dmp_down(ctx, request) if row.dmp_filing == "dmp_indisponible" else None
    if down is not None:
        raise ctx.refuse("erx.create", down, **_trace(row))
    # Claim the deposit (a concurrent request for the same ordonnance waits, then finds it done).
    claimed = ctx.session.execute(
        update(ErxPrescriptionRow)
        .where(ErxPrescriptionRow.tenant == ctx.tenant, ErxPrescriptionRow.number == row.number,
               ErxPrescriptionRow.dmp_filing == "dmp_indisponible")
        .values(dmp_filing="depose"))
    ctx.session.refresh(row)
    if claimed.rowcount == 1:
        patient = patients.by_id(ctx.session, ctx.tenant, row.patient_id)
        _file_in_dmp(ctx, row, patient, _lines(ctx, row))
        ctx.record("erx.dmp.file", **_trace(row), detail={"dmp": row.dmp_document_id,
                                                           "versement_dmp": row.dmp_filing})
    return _commit(ctx, row)


@router.post("/prescriptions/{number}/cancel", response_model=PrescriptionOut,
             summary="Annuler une e-prescription (prescripteur)")
def cancel(number: str, ctx: Ctx, body: CancelIn | None = None) -> PrescriptionOut:
    row = _load(ctx, number, "erx.cancel")
    ctx.require("erx.cancel", **_trace(row))
    if ctx.actor.login != row.prescriber_login:
        raise ctx.refuse("erx.cancel", ServiceError(
            403, "Seul le prescripteur qui l'a établie peut annuler cette e-prescription."),
            **_trace(row))
    trace = _trace(row)
    done = ctx.session.execute(
        update(ErxPrescriptionRow)
        .where(ErxPrescriptionRow.tenant == ctx.tenant, ErxPrescriptionRow.number == row.number,
               ErxPrescriptionRow.status.in_(("active", "partially-dispensed")))
        .values(status="cancelled", cancel_reason=(body.motif if body else None)))
    if done.rowcount != 1:
        ctx.session.rollback()
        current = _fresh(ctx, ErxPrescriptionRow, (ctx.tenant, trace["target"][4:]))
        raise ctx.refuse("erx.cancel", ServiceError(
            409, f"E-prescription {STATUS_LABELS[current.status]} : elle ne peut plus être "
                 "annulée.", code="conflict"), **trace)
    ctx.record("erx.cancel", **_trace(row), detail={"motif": body.motif if body else None})
    return _commit(ctx, row)
