"""What a run leaves to read: its timeline, the crisis log ("main courante") that facilitators and
observers keep as it happens, and the hot-debrief answers taken at the end.

Log entries and debrief answers are events of the run (no table of their own): the console, the
RETEX and the grader read them from the one stream, in its order, beside the run's own events.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox import events
from sandbox.drills.models import DrillRunRow
from sandbox.events_models import EventRow

SERVICE = "drill"
LOG = "drill.main_courante"
DEBRIEF = "drill.debrief"
QUALITIES = {"animateur": "Animateur", "observateur": "Observateur"}
QUESTIONS = {"reussites": "Ce qui a bien fonctionné", "ameliorations": "Ce qui est à améliorer",
             "actions": "Les actions décidées"}
LABELS = {"drill.start": "Début de l'exercice", "drill.pause": "Pause", "drill.resume": "Reprise",
          "drill.end": "Fin de l'exercice", "drill.inject": "Inject envoyé",
          "drill.inject.maintenant": "Inject demandé maintenant",
          "drill.inject.report": "Inject reporté", "drill.attente.atteinte": "Attente atteinte",
          "drill.attente.manquée": "Attente manquée", "drill.attente.validée": "Attente validée",
          "drill.declaration": "Déclaration", "drill.incident.declare": "Incident déclaré",
          "files.encrypted": "Fichiers chiffrés", "files.restored": "Fichiers restaurés"}
MAX_READ = 5000  # events read back per run and per list: a run's story, bounded


def write(session: Session, run: DrillRunRow, now: datetime, action: str, detail: dict, *,
          actor: tuple[str, str]) -> None:
    """A log entry or a debrief answer of `run`, traced in the caller's transaction."""
    events.record(session, events.Event(
        tenant=run.tenant, at=now, service=SERVICE, action=action, persona=actor[0],
        role=actor[1], target=f"exercice/{run.id}", patient=None, outcome="success",
        detail={"exercice": run.id, **detail}))


def timeline(session: Session, run: DrillRunRow) -> list[EventRow]:
    """The run's own events and the players' declarations made while it ran (not the log)."""
    query = select(EventRow).where(
        EventRow.tenant == run.tenant, EventRow.service == SERVICE,
        EventRow.at >= run.started_at, EventRow.outcome == "success",
        EventRow.action.not_in((LOG, DEBRIEF)))
    if run.ended_at is not None:
        query = query.where(EventRow.at <= run.ended_at)
    rows = session.scalars(query.order_by(EventRow.seq).limit(MAX_READ))
    return [r for r in rows if (r.detail or {}).get("exercice", run.id) == run.id]


def view(row: EventRow) -> dict:
    """An event of the timeline as the console and the API show it (with its French label)."""
    return {"seq": row.seq, "a": row.at, "action": row.action,
            "libelle": LABELS.get(row.action, row.action), "cible": row.target,
            "persona": row.persona, "detail": row.detail}


def written(session: Session, run: DrillRunRow, action: str) -> list[dict]:
    """The log entries (LOG) or debrief answers (DEBRIEF) of `run`, oldest first."""
    rows = session.scalars(select(EventRow).where(
        EventRow.tenant == run.tenant, EventRow.action == action,
        EventRow.target == f"exercice/{run.id}").order_by(EventRow.seq).limit(MAX_READ))
    return [{"a": r.at, "persona": r.persona,
             **{k: v for k, v in r.detail.items() if k != "exercice"}} for r in rows]
