"""Drill endpoints: the facilitator's controls (role facilitateur) and the players' own
declarations, which become events the expectations watch."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import select

from sandbox import pdf
from sandbox.drills import console, journal, retex
from sandbox.drills import scenario as scenarios
from sandbox.drills.engine import ENDED, SERVICE, Engine
from sandbox.drills.models import DrillRunRow
from sandbox.drills.schemas import (
    DebriefRequest,
    DeclarationRequest,
    IncidentRequest,
    LogEntryRequest,
    PostponeRequest,
    StartRequest,
    ValidationRequest,
)
from sandbox.errors import ServiceError
from sandbox.events_models import EventRow
from sandbox.injection import ServiceContext, service_context
from sandbox.service_router import ServiceRouter

router = ServiceRouter(prefix="/drill", tags=["Exercices de crise cyber"])
Ctx = Annotated[ServiceContext, Depends(service_context(SERVICE))]


def _facilitator(ctx: Ctx, request: Request) -> tuple[Engine, tuple]:
    ctx.require("drill.facilitate")
    return Engine(ctx.sandbox, base_url=str(request.base_url)), (ctx.actor.login, ctx.actor.role)


Facilitator = Annotated[tuple[Engine, tuple], Depends(_facilitator)]


@router.get("/scenarios", summary="Scénarios livrés")
def list_scenarios(ctx: Ctx) -> list[dict]:
    ctx.require("drill.facilitate")
    return [{"id": s.id, "titre": s.titre, "niveaux": list(s.niveaux)}
            for s in scenarios.shipped().values()]


@router.post("/runs", status_code=201, summary="Lancer un exercice")
def start(body: StartRequest, ctx: Ctx, facilitator: Facilitator) -> dict:
    engine, actor = facilitator
    if (body.scenario is None) == (body.texte is None):
        raise ServiceError(422, "Donnez soit « scenario » (id d'un scénario livré), soit « texte » "
                                "(le YAML d'un scénario).")
    try:
        played = (scenarios.parse(body.texte, "scénario envoyé") if body.texte
                  else scenarios.find(body.scenario))
    except scenarios.ScenarioError as exc:
        raise ServiceError(422, str(exc)) from None
    if body.scenario and body.scenario not in scenarios.shipped():
        raise ServiceError(404, f"Scénario inconnu : « {body.scenario} ».")
    try:
        run = engine.start(ctx.tenant, played, level=body.niveau, speed=body.vitesse,
                           seed=body.graine, run_id=body.exercice, actor=actor)
    except scenarios.ScenarioError as exc:
        raise ServiceError(422, str(exc)) from None
    return engine.status(ctx.tenant, run)


@router.get("/runs", summary="Exercices du tenant")
def list_runs(ctx: Ctx, facilitator: Facilitator) -> list[dict]:
    return facilitator[0].runs(ctx.tenant)


@router.get("/runs/{run}", summary="État d'un exercice")
def status(run: str, ctx: Ctx, facilitator: Facilitator) -> dict:
    return facilitator[0].status(ctx.tenant, run)


@router.get("/runs/{run}/timeline", summary="Chronologie d'un exercice (événements)")
def timeline(run: str, ctx: Ctx, facilitator: Facilitator) -> list[dict]:
    """The run's own events and the players' declarations made while it ran."""
    return [journal.view(r) for r in journal.timeline(ctx.session, _played(ctx, facilitator, run))]


def _played(ctx: Ctx, facilitator: Facilitator, run: str) -> DrillRunRow:
    facilitator[0].status(ctx.tenant, run)  # 404 for an unknown run
    return ctx.session.get(DrillRunRow, (ctx.tenant, run))


@router.post("/runs/{run}/pause", summary="Mettre en pause")
def pause(run: str, ctx: Ctx, facilitator: Facilitator) -> dict:
    facilitator[0].pause(ctx.tenant, run, facilitator[1])
    return facilitator[0].status(ctx.tenant, run)


@router.post("/runs/{run}/reprise", summary="Reprendre")
def resume(run: str, ctx: Ctx, facilitator: Facilitator) -> dict:
    facilitator[0].resume(ctx.tenant, run, facilitator[1])
    return facilitator[0].status(ctx.tenant, run)


@router.post("/runs/{run}/fin", summary="Terminer")
def end(run: str, ctx: Ctx, facilitator: Facilitator) -> dict:
    facilitator[0].end(ctx.tenant, run, facilitator[1])
    return facilitator[0].status(ctx.tenant, run)


@router.post("/runs/{run}/injects/{key}", summary="Envoyer un inject maintenant")
def inject_now(run: str, key: str, ctx: Ctx, facilitator: Facilitator) -> dict:
    facilitator[0].inject_now(ctx.tenant, run, key, facilitator[1])
    return facilitator[0].status(ctx.tenant, run)


@router.post("/runs/{run}/injects/{key}/report", summary="Reporter un inject")
def postpone(run: str, key: str, body: PostponeRequest, ctx: Ctx,
             facilitator: Facilitator) -> dict:
    facilitator[0].postpone(ctx.tenant, run, key, body.secondes, facilitator[1])
    return facilitator[0].status(ctx.tenant, run)


@router.post("/runs/{run}/attentes/{key}/validation", summary="Valider une attente (observateur)")
def validate(run: str, key: str, body: ValidationRequest, ctx: Ctx,
             facilitator: Facilitator) -> dict:
    facilitator[0].validate(ctx.tenant, run, key, body.score, body.commentaire, facilitator[1])
    return facilitator[0].status(ctx.tenant, run)


# --- the console, the crisis log and the hot debrief ----------------------------------------

@router.get("/runs/{run}/console", summary="Tableau de bord de l'animateur (injects, attentes, "
                                               "chronologie, main courante)")
def console_board(run: str, ctx: Ctx, facilitator: Facilitator) -> dict:
    return console.board(facilitator[0], ctx.session, ctx.tenant, run)


@router.post("/runs/{run}/main-courante", status_code=201,
             summary="Écrire dans la main courante (animateur, observateur)")
def write_log(run: str, body: LogEntryRequest, ctx: Ctx, facilitator: Facilitator) -> dict:
    return _write(ctx, facilitator, run, journal.LOG, body.model_dump())


def _write(ctx: Ctx, facilitator: Facilitator, run: str, action: str, detail: dict) -> dict:
    journal.write(ctx.session, _played(ctx, facilitator, run), ctx.now(), action, detail,
                  actor=facilitator[1])
    return {"a": ctx.now(), **detail}


@router.get("/runs/{run}/main-courante", summary="La main courante d'un exercice")
def read_log(run: str, ctx: Ctx, facilitator: Facilitator) -> list[dict]:
    return journal.written(ctx.session, _played(ctx, facilitator, run), journal.LOG)


@router.post("/runs/{run}/debriefing", status_code=201,
             summary="Noter une réponse du débriefing à chaud")
def write_debrief(run: str, body: DebriefRequest, ctx: Ctx, facilitator: Facilitator) -> dict:
    return _write(ctx, facilitator, run, journal.DEBRIEF, body.model_dump())


@router.get("/runs/{run}/debriefing", summary="Les réponses du débriefing à chaud")
def read_debrief(run: str, ctx: Ctx, facilitator: Facilitator) -> list[dict]:
    return journal.written(ctx.session, _played(ctx, facilitator, run), journal.DEBRIEF)


@router.get("/runs/{run}/retex", summary="RETEX d'un exercice (HTML, PDF, main courante en CSV)",
            response_class=Response,
            responses={200: {"content": {"text/html": {}, "application/pdf": {}, "text/csv": {}}}})
def retex_report(run: str, ctx: Ctx, facilitator: Facilitator,
                 format: Literal["html", "pdf", "csv"] = Query("html")) -> Response:
    report = retex.build(facilitator[0], ctx.tenant, run)
    if format == "csv":
        response = Response(retex.log_csv(report), media_type="text/csv; charset=utf-8")
        name = f"main-courante-{run}.csv"
    else:
        html = retex.to_html(report)
        response = (Response(pdf.print_html(html), media_type="application/pdf")
                    if format == "pdf" else
                    Response(html, media_type="text/html; charset=utf-8"))
        name = f"retex-{run}.{format}"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- players ------------------------------------------------------------------------------------

@router.post("/declarations", status_code=201, summary="Déclarer (cellule de crise, mode dégradé…)")
def declare(body: DeclarationRequest, ctx: Ctx) -> dict:
    ctx.require("drill.play")
    ctx.record("drill.declaration", target=f"declaration/{body.type}",
               detail={"type": body.type, "commentaire": body.commentaire})
    return {"declare": body.type, "a": ctx.now()}


@router.post("/incidents", status_code=201,
             summary="Déclarer un incident de sécurité (formulaire du portail national)")
def report_incident(body: IncidentRequest, ctx: Ctx) -> dict:
    ctx.require("drill.play")
    ctx.record("drill.incident.declare", target=f"incident/{body.categorie}",
               detail=body.model_dump())
    return {"declare": True, "categorie": body.categorie, "a": ctx.now()}


@router.get("/messages", summary="Messages reçus par les joueurs (téléphone, SMS, presse) "
                                 "des exercices en cours")
def messages(ctx: Ctx, equipe: str | None = None) -> list[dict]:
    ctx.require("drill.play")
    live = set(ctx.session.scalars(select(DrillRunRow.id).where(
        DrillRunRow.tenant == ctx.tenant, DrillRunRow.state != ENDED)))
    rows = reversed(ctx.session.scalars(select(EventRow).where(
        EventRow.tenant == ctx.tenant, EventRow.action == "drill.inject")
        .order_by(EventRow.seq.desc()).limit(journal.MAX_READ)).all()) if live else []
    return [{"a": r.at, "canal": r.detail["canal"], "de": r.detail["de"],
             "texte": r.detail["texte"], "equipes": r.detail["equipes"]}
            for r in rows if r.detail.get("type") == "message" and r.detail["exercice"] in live
            and (equipe is None or not r.detail["equipes"] or equipe in r.detail["equipes"])]
