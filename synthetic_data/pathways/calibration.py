"""Calibrating pathways without the rest of the population: a stub context, a sample drawn
from the French age pyramid, and the prevalence figure each pathway's target speaks of.

Used by the prevalence tests and the engine benchmark, so a pathway author can check a target
in seconds, before the identity and directory generators are involved.
"""

from __future__ import annotations

import random
from datetime import date

from synthetic_data import model
from synthetic_data.pathways.engine import REFERENCE_END, history_start
from synthetic_data.pathways.engine_types import Prevalence

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


class StubContext:
    """One professional per (profession, specialty) and one place per kind, made on demand."""

    def __init__(self) -> None:
        self.made: dict[tuple[str, str | None], model.Practitioner] = {}

    def practitioner(
        self, rng: random.Random, profession: str, specialty: str | None = None
    ) -> model.Practitioner:
        key = (profession, specialty)
        if key not in self.made:
            n = len(self.made) + 1
            self.made[key] = model.Practitioner(
                f"pra-{n}", f"{10000000000 + n}", "MARTIN", "Claire", model.Sex.FEMALE, profession,
                specialty, f"org-{n}", f"claire.martin{n}@medecin.mssante.fr",
            )
        return self.made[key]

    def organization(self, rng: random.Random, kind: str) -> model.Organization:
        return model.Organization(f"org-{kind}", "750000001", "750000000", f"Établissement {kind}",
                                  kind, ADDRESS, f"accueil@{kind.lower()}.mssante.fr")

    def gp(self, patient: model.Patient) -> model.Practitioner | None:
        return None


def bare_patient(pid: str, sex: model.Sex, birth: date) -> model.Patient:
    identity = model.Identity("DUPONT", ["Camille"], sex, birth, "75056")
    return model.Patient(pid, identity, ADDRESS, "0600000000", f"V{pid}", None)


def pyramid_sample(n: int, seed: int, end: date = REFERENCE_END) -> list[model.Patient]:
    """`n` patients without history whose ages at `end` and sexes follow the French pyramid."""
    rng = random.Random(seed)
    weights = [band[2] for band in PYRAMID]
    patients = []
    for k in range(n):
        low, high, _, women = rng.choices(PYRAMID, weights)[0]
        birth = date.fromordinal(end.toordinal() - rng.randrange(low * 365, high * 365) - 1)
        sex = model.Sex.FEMALE if rng.random() < women else model.Sex.MALE
        patients.append(bare_patient(f"p{k}", sex, birth))
    return patients


def age_at(patient: model.Patient, when: date) -> int:
    born = patient.identity.birth_date
    return when.year - born.year - ((when.month, when.day) < (born.month, born.day))


def in_population(patient: model.Patient, population: str, end: date = REFERENCE_END) -> bool:
    age = age_at(patient, end)
    return {
        "all": True,
        "children": age < 18,
        "adults": age >= 18,
        "adults_40_plus": age >= 40,
        "adults_65_plus": age >= 65,
        "women_15_45": patient.identity.sex is model.Sex.FEMALE and 15 <= age < 45,
    }[population]


def measure(patients: list[model.Patient], target: Prevalence, end: date = REFERENCE_END) -> float:
    """The figure a target speaks of, from generated histories: the share of the population
    with the condition active at `end` (or `ever` had), or onsets per person-year (`per_year`)."""
    system, _, code = target.condition.partition(":")
    group = [p for p in patients if in_population(p, target.population, end)]
    if not group:
        return 0.0
    matching = [[c for c in p.conditions if (c.codes[0].system, c.codes[0].code) == (system, code)]
                for p in group]
    if target.measure == "per_year":
        starts = [history_start(p.identity.birth_date, end) for p in group]
        years = sum((end - s).days for s in starts) / 365.25
        onsets = sum(c.onset >= s for conds, s in zip(matching, starts, strict=True) for c in conds)
        return onsets / years
    if target.measure == "ever":
        return sum(bool(conds) for conds in matching) / len(group)
    return sum(any(c.resolved is None or c.resolved >= end for c in conds) for conds in matching) / len(group)
