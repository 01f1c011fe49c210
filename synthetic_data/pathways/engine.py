"""The pathway engine: walks every loaded pathway for one patient, in time order.

As Synthea's `Module.process`: run the current state; if it lets the patient go, follow its
transition and enter the next state at the same instant; if it waits, come back at the time it
gave. Pathways of one patient advance together through one time-ordered queue, so a condition
diagnosed by one pathway is seen by the others from that moment on.
"""

from __future__ import annotations

import heapq
import random
from datetime import date, datetime, time
from pathlib import Path

from synthetic_data.model import Patient
from synthetic_data.pathways.context import SimulationContext
from synthetic_data.pathways.errors import PathwayError, SpecError
from synthetic_data.pathways.loader import DEFAULT_DIRECTORY, load_directory
from synthetic_data.pathways.mortality import close_history, draw_death
from synthetic_data.pathways.pathway import Instance, Pathway
from synthetic_data.pathways.simulation import PatientRun
from synthetic_data.pathways.states import CallSubmodule

REFERENCE_END = date(2026, 1, 1)  # histories end here unless told otherwise; never the clock
HISTORY_YEARS = 10
MAX_STEPS_AT_ONE_INSTANT = 1000  # more state changes than this without time passing: a loop


def history_start(birth: date, end: date = REFERENCE_END, years: int = HISTORY_YEARS) -> date:
    """First day of a patient's history: `years` before `end`, or birth if later."""
    try:
        back = end.replace(year=end.year - years)
    except ValueError:  # 29 February
        back = end.replace(year=end.year - years, day=28)
    return max(birth, back)


LOADED_KEPT = 4  # pathway folders a process keeps parsed (the oldest goes first)
_LOADED: dict[tuple, list[Pathway]] = {}


def _fingerprint(folder: Path) -> tuple:
    """What a loaded folder depends on: its files (and the default document templates, which
    any folder falls back on), by path, size and modification time."""
    files = []
    for root in (folder, DEFAULT_DIRECTORY / "documents"):
        if root.is_dir():
            for path in sorted(root.rglob("*")):
                if path.is_file():
                    stat = path.stat()
                    files.append((str(path), stat.st_size, stat.st_mtime_ns))
    return (str(folder.resolve()), tuple(files))


class PathwayEngine:
    """Loaded, checked pathways; `run` fills one patient's clinical history."""

    def __init__(self, pathways: list[Pathway]) -> None:
        self.pathways = pathways

    @classmethod
    def load(cls, directory: Path | str | None = None) -> PathwayEngine:
        """Load and check every pathway of `directory` (default: the package's own).

        Parsed once per process while the folder's files are unchanged: a pathway is read-only
        once loaded (shared by every patient already), and a notebook or a grading kernel
        creates a population per exercise, each of which parsed some forty YAML files again.
        """
        folder = Path(directory) if directory is not None else DEFAULT_DIRECTORY
        key = _fingerprint(folder)
        pathways = _LOADED.get(key)
        if pathways is None:
            pathways = load_directory(folder)  # a bad folder raises here, and is not kept
            _LOADED[key] = pathways
            while len(_LOADED) > LOADED_KEPT:
                _LOADED.pop(next(iter(_LOADED)))
        return cls(list(pathways))

    def run(
        self, patient: Patient, rng: random.Random, ctx: SimulationContext,
        start: date | None = None, end: date = REFERENCE_END,
    ) -> None:
        """Simulate from `start` (default: `history_start`) to `end`, then draw whether and when
        the patient died over it (`mortality`): nothing is kept after a death."""
        if start is None:
            start = history_start(patient.identity.birth_date, end)
        stop = min(end, patient.deceased) if patient.deceased else end
        begin = datetime.combine(max(start, patient.identity.birth_date), time())
        run = PatientRun(patient, rng, ctx, begin, datetime.combine(stop, time()))
        queue = [(begin, order, Instance(p, p.initial, p.name, begin)) for order, p in enumerate(self.pathways)]
        while queue:
            now, order, inst = heapq.heappop(queue)
            wake = self._advance(run, inst, now)
            if wake is not None and wake < run.end:
                heapq.heappush(queue, (wake, order, inst))
        if patient.deceased is None:
            death = draw_death(patient, rng, begin.date(), stop)
            if death is not None:
                close_history(patient, death)
        patient.pathways = list(dict.fromkeys(e.pathway for e in patient.encounters))

    @staticmethod
    def _advance(run: PatientRun, inst: Instance, now: datetime) -> datetime | None:
        """Move one instance as far as it goes at `now`; return when to wake it, or None."""
        for _ in range(MAX_STEPS_AT_ONE_INSTANT):
            state = inst.state
            if inst.leaving:
                inst.leaving = False
            else:
                try:
                    wait = state.process(run, inst, now)
                except SpecError as exc:
                    raise PathwayError(f"{inst.pathway.file}:{state.name} : {exc.args[0]}") from None
                if wait is not None:
                    inst.leaving = not wait.recheck
                    return wait.until
            if state.transition is None:  # Terminal: the pathway ends, or back to the caller
                if not inst.stack:
                    return None
                inst.pathway, inst.state = inst.stack.pop()
                inst.leaving = True  # its CallSubmodule state is done: follow its transition
                continue
            target = inst.pathway.states[state.transition.follow(run, inst, now)]
            run.visited[(inst.pathway.name, target.name)] = now
            while isinstance(target, CallSubmodule) and target.submodule is not None:
                inst.stack.append((inst.pathway, target))
                inst.pathway = target.submodule
                target = target.submodule.initial
            inst.state = target
        raise PathwayError(
            f"{inst.pathway.file}:{inst.state.name} : plus de {MAX_STEPS_AT_ONE_INSTANT} états "
            "parcourus sans que le temps avance (boucle sans Delay ni Guard ?)"
        )
