"""The facilitator's console, the players' view and their home page, and what the console shows.

The pages hold no data and no secret: they are static HTML whose script logs in (or reads the
token from the URL fragment, which no server sees) and polls `/drill/runs/{run}/console`
(facilitator only, built by `board`) or `/drill/messages` (players), so they update without
reload. Their routes are out of the API's spec; the JSON endpoints are in router.py.
"""

from __future__ import annotations

import html
import string
from importlib import resources

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from sandbox.drills import journal
from sandbox.drills.engine import Engine
from sandbox.drills.models import DrillRunRow
from sandbox.drills.scenario import Inject
from sandbox.errors import ServiceError

pages = APIRouter(prefix="/drill", include_in_schema=False)
TEAM_LABELS = {"cellule_de_crise": "Cellule de crise", "unite_de_soins": "Unité de soins",
               "dsi": "DSI", "communication": "Communication"}
POLL_MS = 500  # how often a page asks for news: the console's lag behind an event, at most


def summary(inject: Inject) -> str:
    """What an inject does, in one French line for the console."""
    if inject.type == "message":
        return f"{inject.canal} de {inject.de or 'inconnu'} : {inject.texte}"
    if inject.type == "mail":
        return f"mail « {inject.modele} » à {', '.join(inject.destinataires)}"
    if inject.type in ("panne", "retablissement"):
        verb = f"panne ({inject.mode})" if inject.type == "panne" else "rétablissement"
        return f"{verb} : {inject.service}"
    return "dossier partagé du DPI chiffré" if inject.type == "chiffrement" else \
        "dossier partagé du DPI restauré"


def board(engine: Engine, session: Session, tenant: str, run: str) -> dict:
    """What the console shows of a run: its status, injects, expectations, timeline, log."""
    status = engine.status(tenant, run)
    _, injects, expectations = engine.played(tenant, run)
    steps = {s["cle"]: s for s in status.pop("etapes")}
    played = session.get(DrillRunRow, (tenant, run))

    def step(key: str) -> dict:
        found = steps.get(key, {})
        return {"etat": found.get("etat", "conditionnel"), "prevu_s": found.get("prevu_s"),
                "fait_s": found.get("fait_s")}

    return {**status,
            "injects": [{"cle": i.cle, "type": i.type, "equipes": list(i.equipes),
                         "resume": summary(i), **step(i.cle)} for i in injects],
            "attentes": [{"cle": e.cle, "titre": e.titre, "equipe": e.equipe, "points": e.points,
                          "observateur": e.evenement is None, **step(e.cle),
                          "score": steps.get(e.cle, {}).get("points", 0),
                          "commentaire": steps.get(e.cle, {}).get("commentaire", "")}
                         for e in expectations],
            "chronologie": [journal.view(r) for r in journal.timeline(session, played)],
            "main_courante": journal.written(session, played, journal.LOG)}


# --- the pages (no data in them: their script asks the endpoints above with its token) --------

def _page(name: str, **values: str) -> HTMLResponse:
    text = resources.files("sandbox.drills").joinpath(f"web/{name}").read_text("utf-8")
    return HTMLResponse(string.Template(text).substitute(
        poll_ms=str(POLL_MS), **{k: html.escape(v) for k, v in values.items()}))


@pages.get("/accueil", response_class=HTMLResponse)
def home_page() -> HTMLResponse:
    """Where a lab's launcher lands: the players' views, and the facilitator's runs."""
    teams = "".join(f'<li><a href="equipes/{key}">{html.escape(label)}</a></li>'
                    for key, label in TEAM_LABELS.items())
    text = resources.files("sandbox.drills").joinpath("web/accueil.html").read_text("utf-8")
    return HTMLResponse(string.Template(text).substitute(poll_ms=str(POLL_MS), equipes=teams))


@pages.get("/console/{run}", response_class=HTMLResponse)
def console_page(run: str) -> HTMLResponse:
    return _page("console.html", run=run)


@pages.get("/equipes/{equipe}", response_class=HTMLResponse)
def player_page(equipe: str) -> HTMLResponse:
    if equipe not in TEAM_LABELS:
        raise ServiceError(404, f"Équipe inconnue : « {equipe} » (équipes : "
                                f"{', '.join(TEAM_LABELS)}).")
    return _page("joueur.html", equipe=equipe, libelle=TEAM_LABELS[equipe])


@pages.get("/web/drill.js")
def script() -> Response:
    text = resources.files("sandbox.drills").joinpath("web/drill.js").read_text("utf-8")
    return Response(text, media_type="text/javascript; charset=utf-8")
