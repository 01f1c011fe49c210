"""DPI over HTTP: the census of a unit, orders, administrations, the continuity capsule, the
re-entry of paper forms and its reconciliation, and the shared folder (encrypted and restored
by the drill's facilitator). Every action is an event (names in `event_names`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from secrets import token_hex
from typing import Annotated, Literal

from fastapi import Depends, Query
from fastapi.responses import Response
from sqlalchemy import select

from sandbox import pdf
from sandbox.errors import ALREADY_DONE, ServiceError
from sandbox.injection import ServiceContext, service_context
from sandbox.service_router import ServiceRouter
from sandbox.services.dpi import capsule as capsules
from sandbox.services.dpi import event_names as ev
from sandbox.services.dpi import files
from sandbox.services.dpi.models import DpiAdministration, DpiOrder, DpiStay, DpiUnit, SharedFile
from sandbox.services.dpi.schedule import (
    PARIS,
    due_between,
    duplicates,
    nearest_due,
    omissions,
)
from sandbox.services.dpi.schemas import (
    Administration,
    Doublon,
    Fichier,
    Formulaire,
    NouvelleAdministration,
    Omission,
    OperationFichiers,
    Patient,
    Prescription,
    Rapprochement,
    Ressaisie,
    Unite,
)

router = ServiceRouter(prefix="/dpi", tags=["DPI — dossier patient de l'établissement"])
Ctx = Annotated[ServiceContext, Depends(service_context("dpi"))]
MAX_PERIOD = timedelta(days=31)  # a reconciliation covers at most this period


def _aware(moment: datetime) -> datetime:
    """Naive times are Paris time (a paper form says "14:05", not UTC)."""
    return moment.replace(tzinfo=PARIS) if moment.tzinfo is None else moment


def _unit(ctx: ServiceContext, code: str) -> DpiUnit:
    unit = ctx.session.get(DpiUnit, (ctx.tenant, code))
    if unit is None:
        raise ServiceError(404, f"Unité de soins « {code} » inconnue dans le DPI de "
                                "l'établissement.", code="not-found")
    return unit


def _stays(ctx: ServiceContext, unit: str | None = None) -> list[DpiStay]:
    query = select(DpiStay).where(DpiStay.tenant == ctx.tenant)
    if unit is not None:
        query = query.where(DpiStay.unit == unit)
    return list(ctx.session.scalars(query.order_by(DpiStay.unit, DpiStay.bed)))


def _stay(ctx: ServiceContext, stay_id: str) -> DpiStay:
    stay = ctx.session.get(DpiStay, (ctx.tenant, stay_id))
    if stay is None:
        raise ServiceError(404, f"Séjour « {stay_id} » inconnu dans le DPI.", code="not-found")
    return stay


def _orders(ctx: ServiceContext, stay_ids: list[str]) -> list[DpiOrder]:
    return list(ctx.session.scalars(select(DpiOrder).where(
        DpiOrder.tenant == ctx.tenant, DpiOrder.stay_id.in_(stay_ids)).order_by(DpiOrder.id)))


def _patient(stay: DpiStay) -> Patient:
    return Patient(sejour=stay.id, unite=stay.unit, lit=stay.bed, patient=stay.patient_id,
                   ins=stay.ins, nom_naissance=stay.birth_name, prenoms=stay.given_names,
                   sexe=stay.sex, date_naissance=stay.birth_date, allergies=stay.allergies)


def _prescription(order: DpiOrder) -> Prescription:
    return Prescription(id=order.id, sejour=order.stay_id, medicament=order.drug, atc=order.atc,
                        dose=order.dose, horaires=order.times)


def _administration(row: DpiAdministration) -> Administration:
    return Administration(id=row.id, prescription=row.order_id, sejour=row.stay_id,
                          statut=row.status, heure=row.at, prise_prevue=row.due_at,
                          dose=row.dose, infirmier=row.nurse, saisi_par=row.entered_by,
                          source=row.source, formulaire=row.form_id, ligne=row.form_line,
                          commentaire=row.comment)


def _doublons(found: dict) -> list[Doublon]:
    return [Doublon(prescription=order, prise_prevue=due, administrations=ids)
            for (order, due), ids in sorted(found.items())]


@router.get("/unites", response_model=list[Unite], summary="Unités de soins et lits occupés")
def list_units(ctx: Ctx) -> list[Unite]:
    ctx.require(ev.CENSUS_READ, target="dpi/unites")
    stays = _stays(ctx)
    units = ctx.session.scalars(select(DpiUnit).where(DpiUnit.tenant == ctx.tenant)
                                .order_by(DpiUnit.code))
    ctx.record(ev.CENSUS_READ, target="dpi/unites")
    return [Unite(code=u.code, nom=u.name, lits_occupes=sum(s.unit == u.code for s in stays))
            for u in units]


@router.get("/unites/{code}/patients", response_model=list[Patient],
            summary="Patients hospitalisés dans une unité")
def census(code: str, ctx: Ctx) -> list[Patient]:
    ctx.require(ev.CENSUS_READ, target=f"dpi/unites/{code}")
    _unit(ctx, code)
    stays = _stays(ctx, code)
    ctx.record(ev.CENSUS_READ, target=f"dpi/unites/{code}", detail={"patients": len(stays)})
    return [_patient(s) for s in stays]


@router.get("/sejours/{sejour}/prescriptions", response_model=list[Prescription],
            summary="Prescriptions actives d'un séjour")
def orders(sejour: str, ctx: Ctx) -> list[Prescription]:
    ctx.require(ev.ORDERS_READ, target=f"dpi/sejours/{sejour}")
    stay = _stay(ctx, sejour)
    ctx.record(ev.ORDERS_READ, target=f"dpi/sejours/{sejour}", patient=stay.patient_id)
    return [_prescription(o) for o in _orders(ctx, [stay.id])]


@router.get("/sejours/{sejour}/administrations", response_model=list[Administration],
            summary="Administrations tracées pour un séjour")
def administrations(sejour: str, ctx: Ctx) -> list[Administration]:
    ctx.require(ev.ORDERS_READ, target=f"dpi/sejours/{sejour}")
    stay = _stay(ctx, sejour)
    rows = ctx.session.scalars(select(DpiAdministration).where(
        DpiAdministration.tenant == ctx.tenant, DpiAdministration.stay_id == stay.id)
        .order_by(DpiAdministration.at, DpiAdministration.id))
    ctx.record(ev.ORDERS_READ, target=f"dpi/sejours/{sejour}/administrations",
               patient=stay.patient_id)
    return [_administration(r) for r in rows]


def _add(ctx: ServiceContext, order: DpiOrder, *, status: str, at: datetime, dose: str,
         nurse: str, comment: str = "", form: str | None = None,
         line: int | None = None) -> DpiAdministration:
    row = DpiAdministration(
        tenant=ctx.tenant, id=f"ADM-{token_hex(6).upper()}", order_id=order.id,
        stay_id=order.stay_id, status=status, at=at.astimezone(UTC),
        due_at=nearest_due(order, at), dose=dose, nurse=nurse, entered_by=ctx.actor.login,
        source="papier" if form else "dpi", form_id=form, form_line=line, comment=comment)
    ctx.session.add(row)
    return row


def _order(ctx: ServiceContext, order_id: str, field: str) -> DpiOrder:
    order = ctx.session.get(DpiOrder, (ctx.tenant, order_id))
    if order is None:
        raise ServiceError(400, f"Prescription « {order_id} » inconnue dans le DPI : "
                                "recopiez le numéro imprimé sur la capsule.", expression=[field])
    return order


@router.post("/administrations", response_model=Administration, status_code=201,
             summary="Tracer une administration (donnée, non donnée, refusée)")
def record_administration(body: NouvelleAdministration, ctx: Ctx) -> Administration:
    ctx.require(ev.ADMINISTRATION_RECORD, target=f"dpi/prescriptions/{body.prescription}")
    order = _order(ctx, body.prescription, "prescription")
    stay = _stay(ctx, order.stay_id)
    row = _add(ctx, order, status=body.statut, at=_aware(body.heure or ctx.now()),
               dose=body.dose or order.dose, nurse=ctx.actor.login, comment=body.commentaire)
    ctx.record(ev.ADMINISTRATION_RECORD, target=f"dpi/prescriptions/{order.id}",
               patient=stay.patient_id,
               detail={"administration": row.id, "statut": row.status, "source": "dpi",
                       "prise_prevue": row.due_at.isoformat()})
    return _administration(row)


@router.post("/ressaisie", response_model=Ressaisie, status_code=201,
             summary="Ressaisir un formulaire papier d'administrations après la panne")
def reenter(body: Formulaire, ctx: Ctx) -> Ressaisie:
    ctx.require(ev.REENTRY, target=f"dpi/formulaires/{body.formulaire}")
    known = ctx.session.scalar(select(DpiAdministration.id).where(
        DpiAdministration.tenant == ctx.tenant, DpiAdministration.form_id == body.formulaire)
        .limit(1))
    if known is not None:
        raise ServiceError(409, f"Le formulaire « {body.formulaire} » a déjà été ressaisi : "
                                f"ne le saisissez pas une seconde fois. {ALREADY_DONE}",
                           code="conflict")
    checked = []
    for index, line in enumerate(body.lignes):
        order = _order(ctx, line.prescription, f"lignes[{index}].prescription")
        stay = _stay(ctx, order.stay_id)
        if line.patient not in (stay.id, stay.ins):
            raise ServiceError(
                400, f"Ligne {index + 1} : la prescription « {order.id} » n'est pas celle du "
                     f"patient « {line.patient} ». Vérifiez l'identité (INS ou n° de séjour) "
                     "avant de ressaisir.", expression=[f"lignes[{index}].patient"])
        checked.append((order, stay, line))
    rows = [_add(ctx, order, status=line.statut, at=_aware(line.heure), dose=line.dose,
                 nurse=line.infirmier, form=body.formulaire, line=index)
            for index, (order, _, line) in enumerate(checked, 1)]
    ctx.session.flush()
    slots = {(r.order_id, r.due_at) for r in rows}
    records = ctx.session.scalars(select(DpiAdministration).where(
        DpiAdministration.tenant == ctx.tenant,
        DpiAdministration.order_id.in_({o for o, _ in slots})))
    found = {slot: ids for slot, ids in duplicates(records).items() if slot in slots}
    ctx.record(ev.REENTRY, target=f"dpi/formulaires/{body.formulaire}",
               detail={"formulaire": body.formulaire, "lignes": len(rows),
                       "doublons": len(found),
                       "administrations": [r.id for r in rows],
                       "patients": sorted({stay.patient_id for _, stay, _ in checked})})
    return Ressaisie(formulaire=body.formulaire, saisies=[_administration(r) for r in rows],
                     doublons=_doublons(found))


@router.get("/rapprochement", response_model=Rapprochement,
            summary="Doublons et oublis d'administration sur une période (la panne)")
def reconcile(ctx: Ctx, debut: datetime, fin: datetime | None = None,
              unite: str | None = None) -> Rapprochement:
    ctx.require(ev.RECONCILIATION_READ, target="dpi/rapprochement")
    start, end = _aware(debut), _aware(fin or ctx.now())
    if not start < end <= start + MAX_PERIOD:
        raise ServiceError(400, "Période invalide : « debut » doit précéder « fin », sur "
                                f"{MAX_PERIOD.days} jours au plus.", expression=["debut", "fin"])
    if unite is not None:
        _unit(ctx, unite)
    stays = _stays(ctx, unite)
    orders = _orders(ctx, [s.id for s in stays])
    records = list(ctx.session.scalars(select(DpiAdministration).where(
        DpiAdministration.tenant == ctx.tenant,
        DpiAdministration.stay_id.in_([s.id for s in stays]),
        DpiAdministration.due_at >= start.astimezone(UTC) - timedelta(days=1),
        DpiAdministration.due_at < end.astimezone(UTC) + timedelta(days=1))))
    in_period = [r for r in records if start <= r.due_at < end]
    found = duplicates(in_period)
    missing = omissions(orders, records, start, end)
    due_count = sum(len(due_between(o, start, end)) for o in orders)
    ctx.record(ev.RECONCILIATION_READ, target="dpi/rapprochement",
               detail={"unite": unite, "debut": start.isoformat(), "fin": end.isoformat(),
                       "doublons": len(found), "omissions": len(missing)})
    return Rapprochement(
        debut=start, fin=end, unite=unite, prises_prevues=due_count,
        doublons=_doublons(found),
        omissions=[Omission(prescription=o.id, sejour=o.stay_id, medicament=o.drug,
                            prise_prevue=due) for o, due in missing])


@router.get("/unites/{code}/capsule", summary="Exporter la capsule de continuité d'une unité",
            response_class=Response,
            responses={200: {"content": {"text/html": {}, "text/csv": {},
                                         "application/pdf": {}}}})
def export_capsule(code: str, ctx: Ctx,
                   format: Literal["html", "csv", "pdf"] = Query("html")) -> Response:
    ctx.require(ev.CAPSULE_EXPORT, target=f"dpi/unites/{code}")
    unit = _unit(ctx, code)
    stays = _stays(ctx, code)
    capsule = capsules.build(unit, stays, _orders(ctx, [s.id for s in stays]), ctx.now())
    if format == "csv":
        response = Response(capsules.to_csv(capsule), media_type="text/csv; charset=utf-8")
    elif format == "pdf":
        response = Response(pdf.print_html(capsules.to_html(capsule)),
                            media_type="application/pdf")
    else:
        response = Response(capsules.to_html(capsule), media_type="text/html; charset=utf-8")
    ctx.record(ev.CAPSULE_EXPORT, target=f"dpi/unites/{code}",
               detail={"unite": code, "format": format, "patients": len(stays),
                       "doses": len(capsule.doses)})
    response.headers["Content-Disposition"] = (
        f'attachment; filename="capsule-{code}-{ctx.now():%Y%m%d-%H%M}.{format}"')
    return response


def _fichier(row: SharedFile) -> Fichier:
    return Fichier(nom=row.name, chiffre=row.encrypted, note_de_rancon=row.ransom_note,
                   taille=len(row.content))


@router.get("/fichiers", response_model=list[Fichier], summary="Dossier partagé de l'unité")
def list_files(ctx: Ctx) -> list[Fichier]:
    ctx.require(ev.FILES_READ, target="dpi/fichiers")
    rows = ctx.session.scalars(select(SharedFile).where(SharedFile.tenant == ctx.tenant)
                               .order_by(SharedFile.name))
    ctx.record(ev.FILES_READ, target="dpi/fichiers")
    return [_fichier(r) for r in rows]


@router.get("/fichiers/{nom}", response_class=Response, summary="Lire un fichier partagé")
def read_file(nom: str, ctx: Ctx) -> Response:
    ctx.require(ev.FILES_READ, target=f"dpi/fichiers/{nom}")
    row = ctx.session.get(SharedFile, (ctx.tenant, nom))
    if row is None:
        raise ServiceError(404, f"Fichier « {nom} » absent du dossier partagé.", code="not-found")
    ctx.record(ev.FILES_READ, target=f"dpi/fichiers/{nom}", detail={"chiffre": row.encrypted})
    media = "application/octet-stream" if row.encrypted else "text/plain; charset=utf-8"
    return Response(row.content, media_type=media)


@router.post("/dossier-partage/chiffrement", response_model=OperationFichiers,
             summary="Inject d'exercice : chiffrer le dossier partagé (rançongiciel simulé)")
def encrypt_files(ctx: Ctx) -> OperationFichiers:
    ctx.require(ev.FILES_ENCRYPTED, target="dpi/fichiers")
    names = files.encrypt(ctx.session, ctx.tenant)
    ctx.record(ev.FILES_ENCRYPTED, target="dpi/fichiers",
               detail={"fichiers": names, "note": files.RANSOM_NOTE})
    return OperationFichiers(fichiers=names)


@router.post("/dossier-partage/restauration", response_model=OperationFichiers,
             summary="Restaurer le dossier partagé depuis la sauvegarde")
def restore_files(ctx: Ctx) -> OperationFichiers:
    ctx.require(ev.FILES_RESTORED, target="dpi/fichiers")
    names = files.restore(ctx.session, ctx.tenant)
    ctx.record(ev.FILES_RESTORED, target="dpi/fichiers", detail={"fichiers": names})
    return OperationFichiers(fichiers=names)
