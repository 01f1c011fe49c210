"""Calibrating pathways without the rest of the population: a stub context, a sample drawn
from the French age pyramid, and the prevalence figure each pathway's target speaks of.

Used by the prevalence tests and the engine benchmark, so a pathway author can check a target
in seconds, before the identity and directory generators are involved.
"""

from __future__ import annotations

import random
from datetime import date

from synthetic_data import model
from synthetic_data.pathways.engine import HISTORY_YEARS, REFERENCE_END, history_start
from synthetic_data.pathways.pathway import Prevalence
from synthetic_data.referentials import window_population

ADDRESS = model.Address("1 rue de la Paix", "75002", "Paris", "75102")


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
                specialty, f"org-{n}", f"claire.martin{n}@medecin.bac-a-sable.mssante.fr",
            )
        return self.made[key]

    def organization(self, rng: random.Random, kind: str) -> model.Organization:
        return model.Organization(f"org-{kind}", "750000001", "750000000", f"Établissement {kind}",
                                  kind, ADDRESS, f"accueil@{kind.lower()}.mssante.fr")

    def gp(self, patient: model.Patient) -> model.Practitioner | None:
        return None


def bare_patient(pid: str, sex: model.Sex, birth: date) -> model.Patient:
    identity = model.Identity("DUPONT", ["CAMILLE"], sex, birth, "75056")
    return model.Patient(pid, identity, ADDRESS, "0600000000", f"V{pid}", None)


def pyramid_sample(n: int, seed: int, end: date = REFERENCE_END) -> list[model.Patient]:
    """`n` patients without history, alive at some time in the history window ending at `end`:
    those alive at `end` follow the French pyramid, the others died within the window
    (`referentials.window_population`, the identity generator's own)."""
    rng = random.Random(seed)
    patients = []
    for k in range(n):
        band = window_population(HISTORY_YEARS).pick(rng)
        patients.append(bare_patient(f"p{k}", band.sex, band.birth_date(rng, end)))
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
        "adults_18_74": 18 <= age < 75,
        "adults_40_plus": age >= 40,
        "adults_65_plus": age >= 65,
        "women_15_45": patient.identity.sex is model.Sex.FEMALE and 15 <= age < 45,
    }[population]


def measure(patients: list[model.Patient], target: Prevalence, end: date = REFERENCE_END) -> float:
    """The figure a target speaks of, from generated histories: the share of the population
    alive at `end` with the condition active then (or `ever` had), or onsets per person-year
    lived (`per_year`)."""
    system, _, code = target.condition.partition(":")
    group = [p for p in patients if in_population(p, target.population, end)
             and (target.measure != "active_at_end" or p.deceased is None)]
    if not group:
        return 0.0
    matching = [[c for c in p.conditions if (c.codes[0].system, c.codes[0].code) == (system, code)]
                for p in group]
    if target.measure == "per_year":
        starts = [history_start(p.identity.birth_date, end) for p in group]
        years = sum((min(end, p.deceased or end) - s).days for p, s in zip(group, starts, strict=True)) / 365.25
        onsets = sum(c.onset >= s for conds, s in zip(matching, starts, strict=True) for c in conds)
        return onsets / years
    if target.measure == "ever":
        return sum(bool(conds) for conds in matching) / len(group)
    return sum(any(c.resolved is None or c.resolved >= end for c in conds) for conds in matching) / len(group)
