"""The drill engine: plays scenarios for tenants on the sandbox's clock, `speed` times faster.

Every control (start, pause, resume, inject now, postpone, validate, end) and every tick is a
transaction on the store, so the timeline is persisted as it happens and an engine killed at any
moment resumes where it was. A step's clock time (`due_at`) is its scenario time shifted by the
pauses: a resume moves the pending steps by the pause's length, so nothing fires early; a step
changes state by a conditional UPDATE, so nothing fires twice.

`tick()` does at most three queries when nothing is due: the running drills, the steps due, the
events new since the last tick (which may meet expectations).
"""

from __future__ import annotations

import random
import secrets
import threading
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from sandbox import events
from sandbox.auth_models import PersonaRow
from sandbox.drills.models import DrillRunRow, DrillStepRow
from sandbox.drills.scenario import Expectation, Inject, Scenario
from sandbox.errors import ALREADY_DONE, ServiceError
from sandbox.events_models import EventRow
from sandbox.faults import FaultBook
from sandbox.faults_models import FaultRow
from sandbox.messaging import traps
from sandbox.runtime import Sandbox
from sandbox.services.dpi import event_names as dpi_events
from sandbox.services.dpi import files as dpi_files

SERVICE = "drill"
RUNNING, PAUSED, ENDED = "en_cours", "en_pause", "terminé"
DUE, SENT = "prévu", "envoyé"
WAITING, MET, MISSED, VALIDATED = "attendue", "atteinte", "manquée", "validée"
PENDING = (DUE, WAITING)


def jitter(seed: int, key: str, spread: float) -> float:
    """The seeded share of an inject's `alea`: the same seed, the same timeline."""
    return random.Random(f"{seed}:{key}").uniform(0, spread) if spread else 0.0


def scenario_seconds(run: DrillRunRow, now: datetime) -> float:
    """How far into its scenario a run is (pauses excluded), in scenario seconds."""
    end = run.paused_at if run.state == PAUSED else run.ended_at if run.state == ENDED else now
    return max(0.0, ((end - run.started_at).total_seconds() - run.paused_s)
               * run.speed)


def clock_time(run: DrillRunRow, due_s: float) -> datetime:
    return run.started_at + timedelta(seconds=run.paused_s + due_s / run.speed)


def _event(run: DrillRunRow, now: datetime, action: str, *, target: str | None = None,
           persona: str | None = None, role: str | None = None, detail: dict | None = None):
    return events.Event(tenant=run.tenant, at=now, service=SERVICE, action=action,
                        persona=persona, role=role, target=target or f"exercice/{run.id}",
                        patient=None, outcome="success",
                        detail={"exercice": run.id, **(detail or {})})


class Engine:
    """Plays every drill of one store; `tick()` runs what is due now (tests call it by hand)."""

    def __init__(self, sandbox: Sandbox, *, base_url: str = "http://127.0.0.1:8400",
                 faults: FaultBook | None = None):
        self.sandbox = sandbox
        self.base_url = base_url
        self.faults = faults  # an app's fault book in this process: told at once of changes
        self._last_seq: int | None = None
        self._scenarios: dict[tuple[str, str], tuple[Scenario, dict, dict]] = {}

    # --- controls -----------------------------------------------------------------------------
    def start(self, tenant: str, scenario: Scenario, *, level: str, speed: float = 1.0,
              seed: int = 0, run_id: str | None = None, actor: tuple | None = None) -> str:
        injects, expectations = scenario.for_level(level)
        if not 0 < speed <= 3600:
            raise ServiceError(422, "La vitesse doit être comprise entre 0 (exclu) et 3600.")
        now = self.sandbox.clock.now()
        run = DrillRunRow(tenant=tenant, id=run_id or f"ex-{secrets.token_hex(4)}",
                          scenario=scenario.id, level=level, seed=seed, speed=speed,
                          state=RUNNING, started_at=now, paused_s=0.0,
                          document=scenario.model_dump(mode="json"))
        with self.sandbox.store.session() as session:
            if session.scalar(select(PersonaRow.login).where(PersonaRow.tenant == tenant)
                              .limit(1)) is None:
                raise ServiceError(404, f"Tenant inconnu ou non peuplé : « {tenant} » "
                                        "(santelab sandbox reset --tenant … le peuple).")
            existing = session.get(DrillRunRow, (tenant, run.id))
            if existing is not None:
                if existing.state != ENDED and _same_start(existing, run):
                    return existing.id  # the same command again (a cell re-run): that run
                raise ServiceError(409, f"L'exercice « {run.id} » existe déjà dans ce tenant "
                                        + ("et il est terminé. " if existing.state == ENDED else
                                           "avec d'autres réglages (scénario, niveau, vitesse "
                                           "ou graine) : donnez un autre nom au nouvel "
                                           "exercice. ")
                                        + ALREADY_DONE)
            session.add(run)
            starts = {}
            for inject in injects:
                if inject.si is None:
                    starts[inject.cle] = inject.a + jitter(seed, inject.cle, inject.alea)
                    session.add(self._step(run, inject.cle, "inject", starts[inject.cle], DUE))
            for expectation in expectations:
                opens = starts.get(expectation.apres, 0.0) if expectation.apres else 0.0
                session.add(self._step(run, expectation.cle, "attente",
                                       opens + expectation.deadline(level), WAITING))
            events.record(session, _event(run, now, "drill.start", **_who(actor), detail={
                "scenario": scenario.id, "niveau": level, "vitesse": speed, "graine": seed}))
        return run.id

    def pause(self, tenant: str, run_id: str, actor: tuple | None = None) -> None:
        with self.sandbox.store.session() as session:
            run = _run(session, tenant, run_id, RUNNING, "mettre en pause")
            run.state, run.paused_at = PAUSED, self.sandbox.clock.now()
            events.record(session, _event(run, run.paused_at, "drill.pause", **_who(actor)))

    def resume(self, tenant: str, run_id: str, actor: tuple | None = None) -> None:
        now = self.sandbox.clock.now()
        with self.sandbox.store.session() as session:
            run = _run(session, tenant, run_id, PAUSED, "reprendre")
            run.paused_s += (now - run.paused_at).total_seconds()
            run.state, run.paused_at = RUNNING, None
            for step in _pending(session, run):
                step.due_at = clock_time(run, step.due_s)
            events.record(session, _event(run, now, "drill.resume", **_who(actor)))

    def end(self, tenant: str, run_id: str, actor: tuple | None = None) -> None:
        now = self.sandbox.clock.now()
        with self.sandbox.store.session() as session:
            run = _run(session, tenant, run_id, (RUNNING, PAUSED, ENDED), "terminer")
            if run.state != ENDED:  # ending it again (a cell re-run) changes nothing
                self._finish(session, run, now, actor)

    def inject_now(self, tenant: str, run_id: str, key: str, actor: tuple | None = None) -> None:
        self._reschedule(tenant, run_id, key, None, actor)

    def postpone(self, tenant: str, run_id: str, key: str, seconds: float,
                 actor: tuple | None = None) -> None:
        if not 0 < seconds <= 86_400:
            raise ServiceError(422, "Le report se donne en secondes de scénario, entre 1 et 86400.")
        self._reschedule(tenant, run_id, key, seconds, actor)

    def validate(self, tenant: str, run_id: str, key: str, score: int, comment: str,
                 actor: tuple | None = None) -> None:
        """An observer's verdict on an expectation no event can show (score and comment)."""
        now = self.sandbox.clock.now()
        with self.sandbox.store.session() as session:
            run = _run(session, tenant, run_id, (RUNNING, PAUSED, ENDED), "valider")
            expectation = self._expectations(run).get(key)
            if expectation is None:
                raise ServiceError(404, f"Attente inconnue dans cet exercice : « {key} ».")
            if expectation.evenement is not None:
                raise ServiceError(409, f"L'attente « {key} » se constate d'après les événements : "
                                        "elle ne se valide pas à la main.")
            if not 0 <= score <= expectation.points:
                raise ServiceError(422, f"Score attendu entre 0 et {expectation.points}.")
            step = session.get(DrillStepRow, (tenant, run_id, key))
            if step is not None and (step.state, step.score, step.comment) == (
                    VALIDATED, score, comment):
                return  # the same verdict again (a cell re-run)
            if step is None or step.state != WAITING:
                raise ServiceError(409, f"L'attente « {key} » n'est plus à valider. {ALREADY_DONE}")
            t = scenario_seconds(run, now)
            step.state, step.done_s, step.done_at = VALIDATED, t, now
            step.score, step.comment = score, comment
            events.record(session, _event(run, now, "drill.attente.validée",
                                          target=f"exercice/{run.id}/{key}", **_who(actor),
                                          detail={"points": score, "commentaire": comment}))
            self._branch(session, run, key, MET if score else MISSED, t)

    # --- what is due ------------------------------------------------------------------------------
    def tick(self) -> int:
        """Fire the injects due, close the expectations met or expired; the steps changed."""
        now = self.sandbox.clock.now()
        with self.sandbox.store.session() as session:
            runs = {(r.tenant, r.id): r for r in session.execute(
                select(*_RUN_COLUMNS).where(DrillRunRow.state == RUNNING))}
            if not runs:
                self._last_seq = None
                return 0
            due = session.execute(
                select(DrillStepRow.tenant, DrillStepRow.run, DrillStepRow.key,
                       DrillStepRow.kind)
                .where(DrillStepRow.state.in_(PENDING), DrillStepRow.due_at <= now)
                .order_by(DrillStepRow.due_at)).all()
            first_seq = self._last_seq
            self._last_seq = session.scalar(select(func.max(EventRow.seq))) or 0
        due = [(runs[(tenant, run_id)], key, kind) for tenant, run_id, key, kind in due
               if (tenant, run_id) in runs]
        for run, key, kind in due:  # mail first, delivered idempotently by its own transaction
            inject = self._injects(run).get(key) if kind == "inject" else None
            if inject is not None and inject.type == "mail":
                traps.inject(self.sandbox, run.tenant, inject.modele,
                             self._mailboxes(run.tenant, inject.destinataires),
                             base_url=self.base_url, key=f"{run.id}.{key}")
        changed = 0
        with self.sandbox.store.session() as session:  # one commit for all that is due
            sending = [(run, key) for run, key, kind in due if kind == "inject"]
            sent_at = self.sandbox.clock.now()
            for run, key in _claim_all(session, sending, sent_at):
                self._apply(session, run, self._injects(run)[key], sent_at)
                self._branch_on_inject(session, run, key, sent_at)
                changed += 1
            for run, key, kind in due:
                if kind == "attente":
                    changed += self._close(session, run, key)
        if self.faults is not None:
            for tenant in {run.tenant for run, key, kind in due if kind == "inject"
                           and self._injects(run)[key].service}:
                self.faults.forget(tenant)
        changed += self._observe(runs, first_seq, now)
        for run in runs.values():
            if scenario_seconds(run, now) >= self._scenario(run).duree:
                with self.sandbox.store.session() as session:
                    fresh = session.get(DrillRunRow, (run.tenant, run.id))
                    if fresh.state == RUNNING:
                        self._finish(session, fresh, now, None)
        return changed

    def serve(self, stop: threading.Event, *, interval: float = 0.05,
              until_ended: tuple[str, str] | None = None) -> None:
        """Tick until `stop` is set (or the run `until_ended` has ended)."""
        while not stop.wait(interval):
            self.tick()
            if until_ended and self.status(*until_ended)["etat"] == ENDED:
                return

    def _close(self, session: Session, run: DrillRunRow, key: str) -> int:
        """Close an expectation whose deadline has come: met if its event came in time."""
        now = self.sandbox.clock.now()
        expectation = self._expectations(run)[key]
        step = session.get(DrillStepRow, (run.tenant, run.id, key))
        met = expectation.evenement and self._matches(session, run, expectation,
                                                      step.due_at)
        state = MET if met else MISSED
        if not _claim(session, run, key, WAITING, state, now,
                      score=expectation.points if met else 0):
            return 0
        self._resolved(session, run, expectation, state, now)
        return 1

    def _mailboxes(self, tenant: str, recipients: tuple[str, ...]) -> list[str]:
        """Addresses, "persona:LOGIN" read as that persona's MSSanté mailbox in the tenant."""
        logins = [r.removeprefix("persona:") for r in recipients if r.startswith("persona:")]
        with self.sandbox.store.session() as session:
            boxes = dict(session.execute(select(PersonaRow.login, PersonaRow.mailbox).where(
                PersonaRow.tenant == tenant, PersonaRow.login.in_(logins))).all())
        return [boxes.get(r.removeprefix("persona:")) if r.startswith("persona:") else r
                for r in recipients if not r.startswith("persona:") or boxes.get(r[8:])]

    def _observe(self, runs: dict, since_seq: int | None, now: datetime) -> int:
        """Expectations met by the events new since the last tick (all of them after a restart)."""
        if since_seq is not None and since_seq >= self._last_seq:
            return 0
        changed = 0
        tenants = {tenant for tenant, _ in runs}
        with self.sandbox.store.session() as session:
            waiting = session.scalars(select(DrillStepRow).where(
                DrillStepRow.state == WAITING, DrillStepRow.tenant.in_(tenants))).all()
            if not waiting:
                return 0
            query = select(EventRow.tenant, EventRow.action).where(EventRow.seq <= self._last_seq)
            if since_seq is not None:  # a range of the primary key: the new events only
                query = query.where(EventRow.seq > since_seq)
            else:  # after a start or restart: every event of the drills' tenants
                query = query.where(EventRow.tenant.in_(tenants))
            seen = {(tenant, action) for tenant, action in session.execute(query.distinct())
                    if tenant in tenants}
            for step in waiting:
                run = runs.get((step.tenant, step.run))
                expectation = run and self._expectations(run).get(step.key)
                if (not expectation or not expectation.evenement
                        or (step.tenant, expectation.evenement.action) not in seen):
                    continue
                if self._matches(session, run, expectation, now) and _claim(
                        session, run, step.key, WAITING, MET, now, score=expectation.points):
                    self._resolved(session, run, expectation, MET, now)
                    changed += 1
        return changed

    def _matches(self, session: Session, run: DrillRunRow, expectation: Expectation,
                 until: datetime) -> bool:
        return self.first_match(session, run, expectation, until) is not None

    def first_match(self, session: Session, run: DrillRunRow, expectation: Expectation,
                    until: datetime) -> Any:
        """The first event of the expectation's pattern inside its window (opened by `apres`):
        a row (at, persona, role, detail), or None."""
        opens = run.started_at
        if expectation.apres:
            anchor = session.get(DrillStepRow, (run.tenant, run.id, expectation.apres))
            if anchor is None or anchor.state != SENT:
                return None
            opens = anchor.done_at
        pattern = expectation.evenement
        rows = session.execute(select(EventRow.at, EventRow.persona, EventRow.role,
                                      EventRow.detail).where(
            EventRow.tenant == run.tenant, EventRow.action == pattern.action,
            EventRow.at >= opens, EventRow.at <= until).order_by(EventRow.seq).limit(1000))
        return next((r for r in rows if all(str((r.detail or {}).get(k)) == v
                                            for k, v in pattern.detail.items())), None)

    # --- effects -----------------------------------------------------------------------------------
    def _apply(self, session: Session, run: DrillRunRow, inject: Inject, now: datetime) -> None:
        """An inject's effect, in the transaction that marks it sent."""
        detail: dict[str, Any] = {"cle": inject.cle, "type": inject.type,
                                  "equipes": list(inject.equipes)}
        if inject.type == "panne":
            session.merge(FaultRow(tenant=run.tenant, service=inject.service, mode=inject.mode,
                                   delay_ms=inject.delai_ms, status=503,
                                   message=inject.texte, until=None))
            detail.update(service=inject.service, mode=inject.mode)
        elif inject.type == "retablissement":
            session.execute(delete(FaultRow).where(FaultRow.tenant == run.tenant,
                                                   FaultRow.service == inject.service))
            detail.update(service=inject.service)
        elif inject.type == "mail":
            detail.update(modele=inject.modele, destinataires=list(inject.destinataires))
        elif inject.type == "message":
            detail.update(canal=inject.canal, de=inject.de, texte=inject.texte)
        else:  # the DPI's shared folder encrypted (ransom note beside it) or restored
            change = dpi_files.encrypt if inject.type == "chiffrement" else dpi_files.restore
            names = change(session, run.tenant)
            events.record(session, _event(
                run, now, dpi_events.FILES_ENCRYPTED if inject.type == "chiffrement"
                else dpi_events.FILES_RESTORED, target="dpi/fichiers",
                detail={"fichiers": names}))
            detail.update(service="dpi", fichiers=len(names))
        events.record(session, _event(run, now, "drill.inject",
                                      target=f"exercice/{run.id}/{inject.cle}", detail=detail))

    def _resolved(self, session: Session, run: DrillRunRow, expectation: Expectation,
                  state: str, now: datetime) -> None:
        events.record(session, _event(run, now, f"drill.attente.{state}",
                                      target=f"exercice/{run.id}/{expectation.cle}",
                                      detail={"points": expectation.points if state == MET else 0}))
        self._branch(session, run, expectation.cle, state, scenario_seconds(run, now))

    def _branch(self, session: Session, run: DrillRunRow, key: str, state: str,
                t: float) -> None:
        """Schedule the injects conditioned on expectation `key` ending in `state`."""
        for inject in self._injects(run).values():
            if inject.si and inject.si.attente == key and inject.si.etat == state:
                due = t + inject.a + jitter(run.seed, inject.cle, inject.alea)
                if session.get(DrillStepRow, (run.tenant, run.id, inject.cle)) is None:
                    session.add(self._step(run, inject.cle, "inject", due, DUE))
                    self._open_window(session, run, inject.cle, due)

    def _branch_on_inject(self, session: Session, run: DrillRunRow, key: str,
                          now: datetime) -> None:
        """Expectations anchored on an inject fired earlier or later than planned (inject now,
        a conditional inject) get their deadline from its real firing time."""
        self._open_window(session, run, key, scenario_seconds(run, now))

    def _open_window(self, session: Session, run: DrillRunRow, key: str, opens: float) -> None:
        level = run.level
        for expectation in self._expectations(run).values():
            if expectation.apres != key:
                continue
            step = session.get(DrillStepRow, (run.tenant, run.id, expectation.cle))
            if step is None:
                session.add(self._step(run, expectation.cle, "attente",
                                       opens + expectation.deadline(level), WAITING))
            elif step.state == WAITING:
                step.due_s = opens + expectation.deadline(level)
                step.due_at = clock_time(run, step.due_s)

    def _finish(self, session: Session, run: DrillRunRow, now: datetime, actor) -> None:
        if run.state == PAUSED:
            run.paused_s += (now - run.paused_at).total_seconds()
            run.paused_at = None
        run.state, run.ended_at = ENDED, now
        expectations = self._expectations(run)
        for step in _pending(session, run):
            if step.kind == "inject":
                continue
            expectation = expectations[step.key]
            if expectation.evenement is None:
                continue  # the observer may still validate it
            met = self._matches(session, run, expectation, now)
            step.state, step.done_at = (MET if met else MISSED), now
            step.done_s = scenario_seconds(run, now)
            step.score = expectation.points if met else 0
        events.record(session, _event(run, now, "drill.end", **_who(actor),
                                      detail={"score": self._score(session, run)}))

    # --- reading ---------------------------------------------------------------------------------
    def status(self, tenant: str, run_id: str) -> dict:
        with self.sandbox.store.session() as session:
            run = _run(session, tenant, run_id, None, None)
            steps = session.scalars(select(DrillStepRow).where(
                DrillStepRow.tenant == tenant, DrillStepRow.run == run_id)).all()
            return {"exercice": run.id, "scenario": run.scenario, "niveau": run.level,
                    "etat": run.state, "vitesse": run.speed, "graine": run.seed,
                    "temps_scenario_s": round(scenario_seconds(run, self.sandbox.clock.now()), 3),
                    "score": sum(s.score for s in steps),
                    "score_max": sum(e.points for e in self._expectations(run).values()),
                    "etapes": [{"cle": s.key, "type": s.kind, "etat": s.state,
                                "prevu_s": round(s.due_s, 3), "fait_s": s.done_s,
                                "points": s.score, "commentaire": s.comment}
                               for s in sorted(steps, key=lambda s: (s.due_s, s.key))]}

    def played(self, tenant: str, run_id: str) -> tuple[Scenario, list[Inject], list[Expectation]]:
        """The scenario a run plays, with its injects and expectations at the run's level."""
        with self.sandbox.store.session() as session:
            run = _run(session, tenant, run_id, None, None)
        scenario, injects, expectations = self._played(run)
        return scenario, list(injects.values()), list(expectations.values())

    def runs(self, tenant: str) -> list[dict]:
        with self.sandbox.store.session() as session:
            return [{"exercice": r.id, "scenario": r.scenario, "niveau": r.level,
                     "etat": r.state} for r in session.scalars(
                select(DrillRunRow).where(DrillRunRow.tenant == tenant)
                .order_by(DrillRunRow.started_at))]

    def _score(self, session: Session, run: DrillRunRow) -> int:
        return session.scalar(select(func.coalesce(func.sum(DrillStepRow.score), 0)).where(
            DrillStepRow.tenant == run.tenant, DrillStepRow.run == run.id))

    def _scenario(self, run: DrillRunRow) -> Scenario:
        return self._played(run)[0]

    def _injects(self, run: DrillRunRow) -> dict[str, Inject]:
        return self._played(run)[1]

    def _expectations(self, run: DrillRunRow) -> dict[str, Expectation]:
        return self._played(run)[2]

    def _played(self, run: DrillRunRow) -> tuple[Scenario, dict, dict]:
        """The scenario a run plays, its injects and expectations at its level, read once."""
        key = (run.tenant, run.id)
        if key not in self._scenarios:
            with self.sandbox.store.session() as session:
                document = session.scalar(select(DrillRunRow.document).where(
                    DrillRunRow.tenant == run.tenant, DrillRunRow.id == run.id))
            scenario = Scenario.model_validate(document)
            injects, expectations = scenario.for_level(run.level)
            self._scenarios[key] = (scenario, {i.cle: i for i in injects},
                                    {e.cle: e for e in expectations})
        return self._scenarios[key]

    def _step(self, run: DrillRunRow, key: str, kind: str, due_s: float,
              state: str) -> DrillStepRow:
        return DrillStepRow(tenant=run.tenant, run=run.id, key=key, kind=kind, due_s=due_s,
                            due_at=clock_time(run, due_s), state=state, score=0, comment="")

    def _reschedule(self, tenant: str, run_id: str, key: str, later: float | None,
                    actor: tuple | None) -> None:
        now = self.sandbox.clock.now()
        with self.sandbox.store.session() as session:
            run = _run(session, tenant, run_id, (RUNNING, PAUSED),
                       "injecter" if later is None else "reporter")
            if key not in self._injects(run):
                raise ServiceError(404, f"Inject inconnu dans cet exercice : « {key} ».")
            step = session.get(DrillStepRow, (tenant, run_id, key))
            if step is not None and step.state != DUE:
                raise ServiceError(409, f"L'inject « {key} » a déjà été envoyé. {ALREADY_DONE}")
            t = scenario_seconds(run, now)
            if step is None:
                if later is not None:
                    raise ServiceError(409, f"L'inject conditionnel « {key} » n'est pas encore "
                                            "programmé : il ne peut pas être reporté.")
                step = self._step(run, key, "inject", t, DUE)
                session.add(step)
            step.due_s = t if later is None else step.due_s + later
            step.due_at = clock_time(run, step.due_s) if run.state == RUNNING else now
            self._open_window(session, run, key, step.due_s)
            events.record(session, _event(
                run, now, "drill.inject.maintenant" if later is None else "drill.inject.report",
                target=f"exercice/{run.id}/{key}", **_who(actor),
                detail={"prevu_s": step.due_s}))


def _who(actor: tuple | None) -> dict:
    return {"persona": actor[0], "role": actor[1]} if actor else {}


def _run(session: Session, tenant: str, run_id: str, states, verb: str | None) -> DrillRunRow:
    run = session.get(DrillRunRow, (tenant, run_id))
    if run is None:
        raise ServiceError(404, f"Exercice inconnu dans ce tenant : « {run_id} ».")
    allowed = (states,) if isinstance(states, str) else states
    if allowed is not None and run.state not in allowed:
        of = "d'" if verb and verb[0] in "aeéèiouyh" else "de "
        raise ServiceError(409, f"Impossible {of}{verb} l'exercice « {run_id} » : il est "
                                f"{run.state.replace('_', ' ')}."
                                + (f" {ALREADY_DONE}" if run.state == ENDED else ""))
    return run


def _same_start(run: DrillRunRow, again: DrillRunRow) -> bool:
    """Whether `again` starts the very run `run` is: same scenario, level, speed and seed."""
    return ((run.scenario, run.level, run.speed, run.seed, run.document)
            == (again.scenario, again.level, again.speed, again.seed, again.document))


def _pending(session: Session, run: DrillRunRow) -> list[DrillStepRow]:
    return list(session.scalars(select(DrillStepRow).where(
        DrillStepRow.tenant == run.tenant, DrillStepRow.run == run.id,
        DrillStepRow.state.in_(PENDING))))


# A running drill as each tick reads it: plain rows (every column but the scenario document),
# which cost a tenth of ORM objects to load, read through the same attribute names.
_RUN_COLUMNS = [c for c in DrillRunRow.__table__.c if c.name != "document"]
_STEPS = DrillStepRow.__table__
_CLAIM = (update(_STEPS)
          .where(_STEPS.c.tenant == bindparam("t"), _STEPS.c.run == bindparam("r"),
                 _STEPS.c.key == bindparam("k"), _STEPS.c.state == bindparam("before"))
          .values(state=bindparam("after"), done_at=bindparam("at"), done_s=bindparam("s"),
                  score=bindparam("points")))  # Core, built once: the engine's hot statement


def _claim_all(session: Session, steps: list[tuple[DrillRunRow, str]],
               now: datetime) -> list[tuple[DrillRunRow, str]]:
    """Claim due injects in one round trip (executemany); the ones this call moved. Should
    another engine have taken some first, ours are told apart by their exact `done_at`."""
    if not steps:
        return []
    params = [{"t": run.tenant, "r": run.id, "k": key, "before": DUE, "after": SENT, "at": now,
               "s": scenario_seconds(run, now), "points": 0} for run, key in steps]
    if session.connection().execute(_CLAIM, params).rowcount == len(params):
        return steps
    ours = set(session.execute(select(DrillStepRow.tenant, DrillStepRow.run, DrillStepRow.key)
                               .where(DrillStepRow.state == SENT, DrillStepRow.done_at == now)).all())
    return [(run, key) for run, key in steps if (run.tenant, run.id, key) in ours]


def _claim(session: Session, run: DrillRunRow, key: str, before: str, after: str,
           now: datetime, *, score: int = 0) -> bool:
    """Move a step from `before` to `after` unless someone did first (then: False)."""
    changed = session.connection().execute(_CLAIM, {
        "t": run.tenant, "r": run.id, "k": key, "before": before, "after": after, "at": now,
        "s": scenario_seconds(run, now), "points": score}).rowcount
    return changed == 1
