"""What the pathway engine needs from the population around a patient.

The orchestrator implements this protocol over the professionals and establishments it
generated; the engine never creates people or places itself, so one population stays coherent.
"""

from __future__ import annotations

import random
from typing import Protocol

from synthetic_data.model import Organization, Patient, Practitioner


class SimulationContext(Protocol):
    def practitioner(
        self, rng: random.Random, profession: str, specialty: str | None = None
    ) -> Practitioner:
        """A professional: `profession` is a TRE_G15 code ("10" médecin, "60" infirmier,
        "21" pharmacien, "50" sage-femme, "70" masseur-kinésithérapeute), `specialty` a
        TRE_R38 code ("SM54" médecine générale, "SM04" cardiologie…)."""
        ...

    def organization(self, rng: random.Random, kind: str) -> Organization:
        """An establishment of the given kind (establishment-type referential key)."""
        ...

    def gp(self, patient: Patient) -> Practitioner | None:
        """The patient's médecin traitant (`patient.gp_id`), or None when there is none."""
        ...
