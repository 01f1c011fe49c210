"""Each pathway's prevalence target (declared in its YAML, with its source) holds on a sample
of 5,000 patients drawn from the French age pyramid."""

from __future__ import annotations

import random
from datetime import date

import pytest
from test_pathway_engine import FakeContext, fake_population

from synthetic_data import model
from synthetic_data.pathways import REFERENCE_END, PathwayEngine, history_start
from synthetic_data.pathways.engine_types import Prevalence

SAMPLE = 5000
ENGINE = PathwayEngine.load()
TARGETS = {p.name: p.prevalence for p in ENGINE.pathways if p.prevalence is not None}


@pytest.fixture(scope="module")
def histories() -> list[model.Patient]:
    patients = fake_population(SAMPLE, seed=2026)
    ctx = FakeContext()
    for patient in patients:
        ENGINE.run(patient, random.Random(f"prevalence:{patient.id}"), ctx)
    return patients


def age_at_end(patient: model.Patient) -> int:
    born = patient.identity.birth_date
    return REFERENCE_END.year - born.year - ((REFERENCE_END.month, REFERENCE_END.day) < (born.month, born.day))


def in_population(patient: model.Patient, population: str) -> bool:
    age = age_at_end(patient)
    return {
        "all": True,
        "children": age < 18,
        "adults": age >= 18,
        "adults_40_plus": age >= 40,
        "adults_65_plus": age >= 65,
        "women_15_45": patient.identity.sex is model.Sex.FEMALE and 15 <= age < 45,
    }[population]


def measured(patients: list[model.Patient], target: Prevalence) -> float:
    """The figure the target speaks of, computed from the generated histories only."""
    system, _, code = target.condition.partition(":")
    group = [p for p in patients if in_population(p, target.population)]
    matching = [[c for c in p.conditions if (c.codes[0].system, c.codes[0].code) == (system, code)]
                for p in group]
    if target.measure == "per_year":
        starts = [history_start(p.identity.birth_date) for p in group]
        years = sum((REFERENCE_END - s).days for s in starts) / 365.25
        window = [c for conds, s in zip(matching, starts, strict=True) for c in conds if c.onset >= s]
        return len(window) / years
    if target.measure == "ever":
        return sum(bool(conds) for conds in matching) / len(group)
    assert target.measure == "active_at_end", target.measure
    return sum(any(c.resolved is None or c.resolved >= REFERENCE_END for c in conds)
               for conds in matching) / len(group)


def test_several_pathways_declare_a_sourced_prevalence() -> None:
    assert {"diabetes", "hypertension", "asthma", "copd", "heart_failure", "pregnancy"} <= set(TARGETS)
    assert all(t.source and 0 < t.tolerance < t.target for t in TARGETS.values())


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_prevalence_within_tolerance(histories: list[model.Patient], name: str) -> None:
    target = TARGETS[name]
    figure = measured(histories, target)
    assert abs(figure - target.target) <= target.tolerance, (
        f"{name}: {figure:.3f} measured, target {target.target} ± {target.tolerance} ({target.source})"
    )


def test_sample_follows_the_pyramid(histories: list[model.Patient]) -> None:
    """The check above is only meaningful on a realistic population: ~21 % minors, ~21 % 65+."""
    ages = [age_at_end(p) for p in histories]
    assert 0.18 < sum(a < 18 for a in ages) / len(ages) < 0.24
    assert 0.18 < sum(a >= 65 for a in ages) / len(ages) < 0.25
    assert min(p.identity.birth_date for p in histories) > date(1925, 1, 1)
