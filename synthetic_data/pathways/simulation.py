"""What one patient's simulation carries, shared by all the pathways walked for them.

A `PatientRun` holds everything the states and conditions read or write while one patient's
history is generated (each pathway being walked is a `pathway.Instance`).
"""

from __future__ import annotations

import random
from datetime import datetime, time
from typing import Any

from synthetic_data.model import (
    Condition,
    MedicationRequest,
    Organization,
    Patient,
    Practitioner,
)
from synthetic_data.pathways.context import SimulationContext
from synthetic_data.pathways.physiology import Physiology
from synthetic_data.referentials import GENERAL_PRACTITIONER


class PatientRun:
    """Mutable state of one patient's simulation; ids are numbered per resource kind."""

    def __init__(
        self, patient: Patient, rng: random.Random, ctx: SimulationContext,
        start: datetime, end: datetime,
    ) -> None:
        self.patient, self.rng, self.ctx, self.start, self.end = patient, rng, ctx, start, end
        self.birth = datetime.combine(patient.identity.birth_date, time())
        self.attributes: dict[str, Any] = {}
        self.visited: dict[tuple[str, str], datetime] = {}
        self.active: dict[str, Condition] = {}  # "cim10:E11.9" → the active condition
        self.series: dict[str, list[tuple[datetime, float]]] = {}  # "loinc:…" → values
        self.treatments: dict[str, dict[str, MedicationRequest]] = {}  # pathway → ATC → order
        self.staff: dict[str, Practitioner] = {}
        self._chosen: dict[tuple[str, str | None], Practitioner] = {}
        self._organizations: dict[str, Organization] = {}
        self._counters: dict[str, int] = {}
        self.physiology = Physiology(rng, patient.identity.sex, self.age, start)

    def physiology_at(self, now: datetime) -> Physiology:
        """The latent state, advanced to `now` under the conditions active now."""
        self.physiology.advance(now, self.active)
        return self.physiology

    def treated(self) -> set[str]:
        """ATC codes of every current treatment, whichever pathway keeps it."""
        return {atc for current in self.treatments.values() for atc in current}

    def new_id(self, kind: str) -> str:
        count = self._counters.get(kind, 0) + 1
        self._counters[kind] = count
        return f"{self.patient.id}-{kind}-{count}"

    def practitioner(self, profession: str, specialty: str | None) -> Practitioner:
        """The patient's usual professional of that kind (the GP for general practice)."""
        key = (profession, specialty)
        found = self._chosen.get(key)
        if found is None:
            found = self.ctx.gp(self.patient) if key == GENERAL_PRACTITIONER else None
            if found is None:
                found = self.ctx.practitioner(self.rng, profession, specialty)
            self._chosen[key] = found
            self.staff[found.id] = found
        return found

    def organization(self, kind: str) -> Organization:
        """The patient's usual establishment of that kind."""
        found = self._organizations.get(kind)
        if found is None:
            found = self._organizations[kind] = self.ctx.organization(self.rng, kind)
        return found

    def age(self, now: datetime) -> int:
        born = self.patient.identity.birth_date
        return now.year - born.year - ((now.month, now.day) < (born.month, born.day))
