"""The pathway engine's features, one tiny fixture module each (as Synthea's tests/generic).

Also home of the small fakes the other pathway tests share: a simulation context and a
population with a French age pyramid, so these tests never wait for the identity generator.
"""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

from synthetic_data import model

FIXTURES = Path(__file__).parents[1] / "fixtures" / "pathways"
ADDRESS = model.Address("1 rue de la Paix", "75002", "Paris", "75102")

# Population of France by age band on 1 January 2024, in thousands, and the share of women
# (INSEE, « Pyramide des âges », bilan démographique 2023, rounded).
PYRAMID = [
    (0, 5, 3500, 0.49), (5, 10, 3850, 0.49), (10, 15, 4150, 0.49), (15, 20, 4150, 0.49),
    (20, 25, 3900, 0.49), (25, 30, 3750, 0.5), (30, 35, 4000, 0.51), (35, 40, 4250, 0.51),
    (40, 45, 4250, 0.5), (45, 50, 4200, 0.5), (50, 55, 4500, 0.51), (55, 60, 4400, 0.51),
    (60, 65, 4150, 0.52), (65, 70, 3900, 0.53), (70, 75, 3700, 0.54), (75, 80, 2850, 0.56),
    (80, 85, 1950, 0.59), (85, 90, 1350, 0.64), (90, 95, 700, 0.71), (95, 100, 250, 0.78),
]


class FakeContext:
    """Professionals and places made on demand, one per (profession, specialty) or kind."""

    def __init__(self) -> None:
        self.made: dict[tuple[str, str | None], model.Practitioner] = {}

    def practitioner(self, rng: random.Random, profession: str, specialty: str | None = None) -> model.Practitioner:
        key = (profession, specialty)
        if key not in self.made:
            n = len(self.made) + 1
            self.made[key] = model.Practitioner(
                f"pra-{n}", f"{10000000000 + n}", "MARTIN", "Claire", model.Sex.FEMALE, profession,
                specialty, f"org-{n}", f"claire.martin{n}@medecin.mssante.fr",
            )
        return self.made[key]

    def organization(self, rng: random.Random, kind: str) -> model.Organization:
        return model.Organization(f"org-{kind}", "750000001", "750000000", f"Établissement {kind}", kind,
                                  ADDRESS, f"accueil@{kind.lower()}.mssante.fr")

    def gp(self, patient: model.Patient) -> model.Practitioner | None:
        return None


def fake_patient(pid: str, sex: model.Sex, birth: date) -> model.Patient:
    identity = model.Identity("DUPONT", ["Camille"], sex, birth, "75056")
    return model.Patient(pid, identity, ADDRESS, "0600000000", f"V{pid}", None)


def fake_population(n: int, seed: int, end: date = date(2026, 1, 1)) -> list[model.Patient]:
    """`n` patients whose ages at `end` and sexes follow the French pyramid."""
    rng = random.Random(seed)
    weights = [band[2] for band in PYRAMID]
    patients = []
    for k in range(n):
        low, high, _, women = rng.choices(PYRAMID, weights)[0]
        age_days = rng.randrange(low * 365, high * 365)
        birth = date.fromordinal(end.toordinal() - age_days - 1)
        sex = model.Sex.FEMALE if rng.random() < women else model.Sex.MALE
        patients.append(fake_patient(f"p{k}", sex, birth))
    return patients
