"""DMP / Mon espace santé over FHIR R4, IHE MHD-like.

ITI-65 provide: `POST /dmp/fhir` (transaction Bundle: DocumentReference + Binary) or
`POST /dmp/fhir/DocumentReference` (inline attachment data); ITI-67 find:
`GET /dmp/fhir/DocumentReference?patient.identifier=…`; ITI-68 retrieve: `GET /dmp/fhir/Binary/{id}`.
Replacement uses `relatesTo: replaces`; archiving is `POST /dmp/fhir/DocumentReference/{id}/$archive`.
Every access, refused ones included, is an event, shown to the patient as AuditEvent.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Body, Depends, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import select

from sandbox import events
from sandbox import fhir as fhir_search
from sandbox.errors import FHIR_JSON, ServiceError
from sandbox.fhir import FhirResponse
from sandbox.free_text import reason_problem
from sandbox.injection import ServiceContext, service_context
from sandbox.service_router import ServiceRouter
from sandbox.services.dmp import access, audit, crud, documents, patients
from sandbox.services.dmp.codes import referentials
from sandbox.services.dmp.models import DmpAccessRow, DmpBinaryRow, DmpDocumentRow, DmpPatientRow
from sandbox.services.dmp.schemas import Alert, ConsentChange, ConsentState
from sandbox.vocabulary import SUCCESS

# FHIR answers by default (declared as application/fhir+json in the OpenAPI); the patient's
# consent and alerts, plain JSON models, say so on their routes.
router = ServiceRouter(prefix="/dmp", tags=["DMP — Mon espace santé"],
                       default_response_class=FhirResponse)
PARIS = ZoneInfo("Europe/Paris")


Ctx = Annotated[ServiceContext, Depends(service_context("dmp", autoflush=False))]
FhirBody = Annotated[dict[str, Any], Body(media_type=FHIR_JSON)]


def fhir(content: dict, status: int = 200, headers: dict[str, str] | None = None) -> FhirResponse:
    return FhirResponse(content, status_code=status, headers=headers)


# --- provide (ITI-65) ---------------------------------------------------------------------


def _provide(ctx: ServiceContext, sub: documents.Submission) -> crud.Filed:
    """Access checks for a submission, then file it."""
    action = "dmp.document.replace" if sub.replaces else "dmp.document.create"
    try:
        patient = patients.from_reference(ctx.session, ctx.tenant, sub.patient_ref,
                                          "DocumentReference.subject").patient
    except ServiceError as error:
        raise ctx.refuse(action, error) from None
    trace = {"patient": patient.patient_id}
    ctx.require("dmp.document.write", {"class_code": sub.class_code}, **trace)
    actor = ctx.actor
    if actor.role == "patient" and actor.patient_id != patient.patient_id:
        raise ctx.refuse(action, ServiceError(
            403, "Un patient ne dépose des documents que dans son propre DMP."), **trace)
    if patient.opposed:
        raise ctx.refuse(action, ServiceError(
            403, "Le patient a fermé son DMP ou s'y est opposé pour un motif légitime : il ne "
                 "peut pas être alimenté.", code="forbidden"), **trace)
    if sub.replaces:
        ctx.require("dmp.document.replace", {"class_code": sub.class_code}, **trace)
        old = crud.get_document(ctx, sub.replaces)
        if old.patient_id != patient.patient_id:
            raise ctx.refuse(action, ServiceError(
                400, "Le document remplacé appartient à un autre patient : un remplacement garde "
                     "le même patient.", expression=["DocumentReference.relatesTo"]), **trace)
    return crud.file(ctx, sub=sub, patient=patient, author_id=actor.practitioner_id,
                     action=action)


@router.post("/fhir/DocumentReference", summary="Déposer un document (contenu en ligne)",
             status_code=201)
def create_document(body: FhirBody, ctx: Ctx) -> FhirResponse:
    sub = documents.parse(body, now=ctx.now())
    filed = _provide(ctx, sub)
    return fhir(documents.served(filed.row), 201 if filed.created else 200,
                {"Location": f"/dmp/fhir/DocumentReference/{filed.row.id}"})


@router.post("/fhir", summary="Transaction MHD ITI-65 (Bundle DocumentReference + Binary)")
def provide_bundle(body: FhirBody, ctx: Ctx) -> FhirResponse:
    documents.validate_resource(body, "Bundle")
    if body.get("type") != "transaction":
        raise ServiceError(400, "Bundle.type doit valoir « transaction » (ITI-65).",
                           expression=["Bundle.type"])
    entries = body.get("entry") or []
    binaries: dict[str, dict] = {}
    docs: list[dict] = []
    for index, entry in enumerate(entries):
        resource = entry.get("resource") or {}
        kind = resource.get("resourceType")
        if kind == "Binary":
            binaries[entry.get("fullUrl", "")] = resource
        elif kind == "DocumentReference":
            docs.append(resource)
        elif kind != "List":  # the SubmissionSet List is accepted and not stored
            raise ServiceError(400, f"Bundle.entry[{index}] : ressource « {kind} » inattendue "
                                    "(DocumentReference, Binary ou List attendus).",
                               expression=[f"Bundle.entry[{index}]"])
    if not docs:
        raise ServiceError(400, "Bundle : aucune DocumentReference à déposer.",
                           expression=["Bundle.entry"])
    if len(docs) > 1:
        raise ServiceError(400, "Le bac à sable accepte un document par transaction : envoyez "
                                "une transaction par DocumentReference.", expression=["Bundle.entry"])
    sub = documents.parse(docs[0], now=ctx.now(), binaries=binaries)
    filed = _provide(ctx, sub)
    status = "201 Created" if filed.created else "200 OK"
    return fhir({"resourceType": "Bundle", "type": "transaction-response", "entry": [{
        "response": {"status": status,
                     "location": f"DocumentReference/{filed.row.id}/_history/{filed.row.version}"},
        "resource": documents.served(filed.row)}]})


@router.post("/fhir/DocumentReference/{doc_id}/$archive", summary="Archiver un document")
def archive_document(doc_id: str, ctx: Ctx, archived: bool = True) -> FhirResponse:
    doc = crud.get_document(ctx, doc_id)
    patient = ctx.session.get(DmpPatientRow, (ctx.tenant, doc.patient_id))
    trace = {"target": f"DocumentReference/{doc_id}", "patient": doc.patient_id}
    ctx.require("dmp.document.replace", {"class_code": doc.class_code}, **trace)
    if doc.author_id != ctx.actor.practitioner_id and patient.gp_id != ctx.actor.practitioner_id:
        raise ctx.refuse("dmp.document.archive", ServiceError(
            403, "Seuls l'auteur du document et le médecin traitant peuvent l'archiver."), **trace)
    crud.archive(ctx, doc=doc, archived=archived)
    ctx.record("dmp.document.archive", detail={"archive": archived}, **trace)
    return fhir(documents.served(doc))


@router.post("/fhir/DocumentReference/{doc_id}/$mask",
             summary="Masquer un document aux professionnels, ou le démasquer (le patient)")
def mask_document(doc_id: str, ctx: Ctx, masked: bool = True) -> FhirResponse:
    """Mon espace santé: the patient hides one of her documents from every professional but
    its author and her médecin traitant (MASQUE_PS), or shows it again."""
    doc = ctx.session.get(DmpDocumentRow, (ctx.tenant, doc_id))
    trace = {"target": f"DocumentReference/{doc_id}", "patient": doc.patient_id if doc else None}
    ctx.require("dmp.document.mask", **trace)
    if doc is None or doc.patient_id != ctx.actor.patient_id \
            or "INVISIBLE_PATIENT" in doc.confidentiality:
        raise ctx.refuse("dmp.document.mask", crud.not_found(doc_id),
                         target=trace["target"], patient=ctx.actor.patient_id)
    changed = crud.mask(ctx, doc=doc, masked=masked)
    ctx.record("dmp.document.mask", detail={"masque": masked, "modifie": changed}, **trace)
    return fhir(documents.served(doc))


# --- find and retrieve (ITI-67, ITI-68) ---------------------------------------------------

def _placeholder(description: str) -> fhir_search.Param:
    """A parameter parsed strictly by the shared helper but applied here (patient, date…)."""
    return fhir_search.Param("token", DmpDocumentRow.id, description)


STATUSES = {"current": "actif", "superseded": "remplacé", "entered-in-error": "saisi par erreur"}
_HANDLED_HERE = ("patient.identifier", "patient", "date", "archived", access.BREAK_GLASS_PARAM)
SEARCH = {
    "patient.identifier": _placeholder("INS du patient : urn:oid:1.2.250.1.213.1.4.10|<INS>"),
    "patient": _placeholder("Patient/<id> ou INS"),
    "type": fhir_search.Param("token", DmpDocumentRow.type_code, "typeCode LOINC",
                              systems=("http://loinc.org",),
                              codes=lambda: {c: t["label"] for c, t in referentials().types.items()}),
    "category": fhir_search.Param("token", DmpDocumentRow.class_code, "classCode J57",
                                  systems=("urn:oid:1.2.250.1.213.1.1.4.1",),
                                  codes=lambda: referentials().classes),
    "author": fhir_search.Param("reference", DmpDocumentRow.author_id, "Practitioner/<id>",
                                reference_type="Practitioner"),
    "status": fhir_search.Param("token", DmpDocumentRow.status, "statut du document",
                                codes=lambda: STATUSES),
    "date": _placeholder("date du document, préfixes eq, ge, gt, le, lt (ex. ge2025-01-01)"),
    "archived": _placeholder("true pour inclure les documents archivés"),
    access.BREAK_GLASS_PARAM: _placeholder("motif d'un accès en urgence (bris de glace)"),
}


def _dates(values: list[str]) -> list[crud.DateFilter]:
    """The `date` parameters as UTC bounds; a 400 for what cannot be read or falls outside
    years 1-9999 once moved to UTC (a day of year 1 in Paris starts in year 0 in UTC)."""
    filters = []
    for value in values:
        op, text = (value[:2], value[2:]) if value[:2] in ("eq", "ge", "gt", "le", "lt") else ("eq", value)
        try:
            if len(text) == 10:
                day = datetime.fromisoformat(text).replace(tzinfo=PARIS)
                start, end = day, day + timedelta(days=1)
                found = {"eq": [("ge", start), ("lt", end)], "ge": [("ge", start)],
                         "gt": [("ge", end)], "le": [("lt", end)], "lt": [("lt", start)]}[op]
            else:
                moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
                found = [(op, moment if moment.tzinfo else moment.replace(tzinfo=PARIS))]
            filters += [crud.DateFilter(o, m.astimezone(UTC)) for o, m in found]
        except (ValueError, OverflowError):
            raise ServiceError(400, f"Paramètre « date » : « {value} » illisible ou hors des "
                                    "années 1 à 9999 ; exemples : date=ge2025-01-01, "
                                    "date=lt2025-06-30T12:00:00+02:00.",
                               expression=["date"]) from None
    return filters


def _patient_param(ctx: ServiceContext, request: Request, action: str) -> patients.Named:
    """The patient the request names, with their choice about the actor."""
    value = request.query_params.get("patient.identifier") or request.query_params.get("patient")
    asking = ctx.actor.practitioner_id
    try:
        if value is None:
            if ctx.actor.role == "patient" and ctx.actor.patient_id:
                return patients.by_id(ctx.session, ctx.tenant, ctx.actor.patient_id,
                                      practitioner_id=asking)
            raise ServiceError(400, "Paramètre « patient.identifier » obligatoire : "
                                    "patient.identifier=urn:oid:1.2.250.1.213.1.4.10|<INS>.",
                               code="required", expression=["patient.identifier"])
        return patients.from_reference(ctx.session, ctx.tenant, value, "patient.identifier",
                                       practitioner_id=asking)
    except ServiceError as error:
        raise ctx.refuse(action, error) from None


@router.get("/fhir/DocumentReference", summary="Rechercher des documents (ITI-67)",
            openapi_extra={"parameters": fhir_search.openapi_parameters(SEARCH)})
def search_documents(request: Request, ctx: Ctx) -> FhirResponse:
    action = "dmp.document.search"
    search = fhir_search.parse_search(request, SEARCH, "DocumentReference")
    mine = {name: [v for n, _m, _p, values in search.criteria if n == name for v in values]
            for name in _HANDLED_HERE}
    search.criteria = [c for c in search.criteria if c[0] not in _HANDLED_HERE]
    if not any(c[0] == "status" for c in search.criteria):
        search.criteria.append(("status", "", SEARCH["status"], ["current"]))
    archived = mine["archived"] or ["false"]
    if set(archived) - {"true", "false"}:
        raise ServiceError(400, "Paramètre « archived » : true ou false.", expression=["archived"])
    dates = _dates(mine["date"])
    criteria = search.prepared()  # unknown codes and systems are refused here, before any access
    named = _patient_param(ctx, request, action)
    patient = named.patient
    found_access = access.consult(ctx, patient, action, choice=named.choice,
                                  emergency=access.break_glass_reason(request))
    found = crud.search(ctx, patient_id=patient.patient_id, criteria=criteria, dates=dates,
                        include_archived="true" in archived,
                        visible=access.visibility(ctx, found_access),
                        offset=search.offset, count=search.count)
    ctx.record(action, patient=patient.patient_id,
               detail={"resultats": found.total, "acces": found_access.basis,
                       "parametres": dict(request.query_params)})
    served = [documents.served(r, crud.resource_of(r)) for r in found.rows]
    return fhir(fhir_search.searchset(request, search, served, found.total))


def _visible_document(ctx: ServiceContext, request: Request, doc_id: str, action: str,
                      target: str):
    doc = crud.get_document(ctx, doc_id)
    patient = ctx.session.get(DmpPatientRow, (ctx.tenant, doc.patient_id))
    found = access.consult(ctx, patient, action, choice=access.choice_of(ctx, patient),
                           emergency=access.break_glass_reason(request), target=target)
    reason = access.hidden_reason(ctx, found, doc)
    if reason is not None:
        status = 403 if reason.startswith("classe") else 404
        text = (f"Accès refusé : {reason}." if status == 403
                else f"{target} introuvable dans ce DMP.")
        raise ctx.refuse(action, ServiceError(status, text), target=target,
                         patient=doc.patient_id)
    return doc, found


@router.get("/fhir/DocumentReference/{doc_id}", summary="Lire la fiche d'un document")
def read_document(doc_id: str, request: Request, ctx: Ctx) -> FhirResponse:
    target = f"DocumentReference/{doc_id}"
    doc, found = _visible_document(ctx, request, doc_id, "dmp.document.read", target)
    ctx.record("dmp.document.read", target=target, patient=doc.patient_id,
               detail={"acces": found.basis})
    return fhir(documents.served(doc))


@router.get("/fhir/Binary/{binary_id}", summary="Lire le contenu d'un document (ITI-68)",
            response_class=Response, responses={200: {"content": {
                "application/fhir+json": {}, "application/pdf": {}, "text/plain": {},
                "application/xml": {}}}})
def read_binary(binary_id: str, request: Request, ctx: Ctx) -> Response:
    binary = ctx.session.get(DmpBinaryRow, (ctx.tenant, binary_id))
    if binary is None:
        raise ServiceError(404, f"Binary/{binary_id} introuvable dans ce DMP.")
    target = f"Binary/{binary_id}"
    doc, found = _visible_document(ctx, request, binary.document_id, "dmp.binary.read", target)
    ctx.record("dmp.binary.read", target=target, patient=doc.patient_id,
               detail={"document": doc.id, "acces": found.basis})
    if "fhir+json" in request.headers.get("accept", ""):
        return fhir({"resourceType": "Binary", "id": binary.id, "contentType": binary.content_type,
                     "securityContext": {"reference": f"DocumentReference/{doc.id}"},
                     "data": base64.b64encode(binary.data).decode("ascii")})
    return Response(binary.data, media_type=binary.content_type)


# --- the patient's side: accesses, alerts, consent ------------------------------------------


def _own_or_named(ctx: ServiceContext, request: Request, action: str) -> DmpPatientRow:
    ctx.require(action)
    patient = _patient_param(ctx, request, action).patient
    if ctx.actor.role == "patient" and ctx.actor.patient_id != patient.patient_id:
        raise ctx.refuse(action, ServiceError(
            403, "Un patient ne consulte que l'historique de son propre DMP."),
            patient=patient.patient_id)
    return patient


@router.get("/fhir/AuditEvent", summary="Historique des accès au DMP (pour le patient)")
def list_audit_events(request: Request, ctx: Ctx) -> FhirResponse:
    patient = _own_or_named(ctx, request, "dmp.audit.read")
    rows = events.stream(ctx.session, ctx.tenant, patient=patient.patient_id, service="dmp",
                         limit=10_000)
    ctx.record("dmp.audit.read", patient=patient.patient_id, detail={"resultats": len(rows)})
    entries = [audit.audit_event(r) for r in reversed(rows)]
    return fhir({"resourceType": "Bundle", "type": "searchset", "total": len(entries),
                 "entry": [{"fullUrl": f"AuditEvent/{e['id']}", "resource": e} for e in entries]})


@router.get("/alerts", response_model=list[Alert], response_class=JSONResponse, summary="Alertes d'accès en urgence")
def list_alerts(request: Request, ctx: Ctx) -> list[Alert]:
    patient = _own_or_named(ctx, request, "dmp.audit.read")
    rows = events.stream(ctx.session, ctx.tenant, patient=patient.patient_id, service="dmp",
                         limit=10_000)
    ctx.record("dmp.alerts.read", patient=patient.patient_id)
    return [Alert(at=r.at, professionnel=r.persona, role=r.role, motif=r.detail.get("motif", ""),
                  cible=r.target)
            for r in reversed(rows) if r.action == "dmp.break_glass" and r.outcome == SUCCESS]


def _consent_state(ctx: ServiceContext, patient: DmpPatientRow) -> ConsentState:
    rows = ctx.session.scalars(select(DmpAccessRow).where(
        DmpAccessRow.tenant == ctx.tenant, DmpAccessRow.patient_id == patient.patient_id)).all()
    return ConsentState(
        patient=patient.patient_id, ins=patient.ins, medecin_traitant=patient.gp_id,
        dmp_ferme=patient.opposed, motif_opposition=patient.opposition_reason,
        bris_de_glace_refuse=patient.break_glass_refused,
        autorises=sorted(r.practitioner_id for r in rows if r.decision == "autorise"),
        opposes=sorted(r.practitioner_id for r in rows if r.decision == "oppose"))


def _own_patient(ctx: ServiceContext) -> DmpPatientRow:
    ctx.require("dmp.consent.manage")
    if not ctx.actor.patient_id:
        raise ServiceError(403, "Cette persona n'est rattachée à aucun patient.")
    return patients.by_id(ctx.session, ctx.tenant, ctx.actor.patient_id).patient


@router.get("/consent", response_model=ConsentState, response_class=JSONResponse, summary="Mes autorisations et oppositions")
def get_consent(ctx: Ctx) -> ConsentState:
    patient = _own_patient(ctx)
    ctx.record("dmp.consent.read", patient=patient.patient_id)
    return _consent_state(ctx, patient)


@router.post("/consent", response_model=ConsentState, response_class=JSONResponse, summary="Autoriser, s'opposer, lever")
def change_consent(body: ConsentChange, ctx: Ctx) -> ConsentState:
    patient = _own_patient(ctx)
    now = ctx.now()
    if body.decision in ("refuser_bris_de_glace", "accepter_bris_de_glace"):
        patient.break_glass_refused = body.decision == "refuser_bris_de_glace"
    elif body.professionnel:
        key = (ctx.tenant, patient.patient_id, body.professionnel)
        row = ctx.session.get(DmpAccessRow, key)
        if body.decision == "lever":
            if row is not None:
                ctx.session.delete(row)
        else:
            decision = "autorise" if body.decision == "autoriser" else "oppose"
            if row is None:
                ctx.session.add(DmpAccessRow(tenant=ctx.tenant, patient_id=patient.patient_id,
                                             practitioner_id=body.professionnel,
                                             decision=decision, at=now))
            else:
                row.decision, row.at = decision, now
    elif body.decision == "opposer":
        problem = reason_problem(body.motif or "", minimum=5)
        if problem is not None:
            raise ServiceError(400, "S'opposer à son DMP demande un motif légitime (champ "
                                    f"« motif ») : {problem}.", expression=["motif"])
        patient.opposed, patient.opposition_reason = True, body.motif.strip()
    elif body.decision == "lever":
        patient.opposed, patient.opposition_reason = False, None
    else:
        raise ServiceError(400, "« autoriser » demande un professionnel (champ « professionnel »).",
                           expression=["professionnel"])
    ctx.record("dmp.consent.change", patient=patient.patient_id,
               target=f"Practitioner/{body.professionnel}" if body.professionnel else None,
               detail=body.model_dump())
    ctx.session.flush()
    state = _consent_state(ctx, patient)
    return state
