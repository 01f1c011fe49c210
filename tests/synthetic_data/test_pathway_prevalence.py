"""Each pathway's prevalence target (declared in its YAML, with its source) holds on a sample
of 5,000 patients drawn from the French age pyramid (`pyramid_histories`, conftest.py)."""

from __future__ import annotations

from datetime import date

import pytest

from synthetic_data import model
from synthetic_data.pathways import REFERENCE_END, PathwayEngine
from synthetic_data.pathways.calibration import (
    age_at,
    bare_patient,
    measure,
)
from synthetic_data.pathways.pathway import Prevalence

pytestmark = pytest.mark.xdist_group("pyramid_histories")

TARGETS = {p.name: p.prevalence for p in PathwayEngine.load().pathways if p.prevalence is not None}


def test_several_pathways_declare_a_sourced_prevalence() -> None:
    assert {"diabetes", "hypertension", "asthma", "copd", "heart_failure", "pregnancy"} <= set(TARGETS)
    assert all(t.source and 0 < t.tolerance < t.target for t in TARGETS.values())


def test_every_prevalence_within_tolerance_on_the_french_pyramid(pyramid_histories) -> None:
    histories = pyramid_histories
    ages = [age_at(p, REFERENCE_END) for p in histories if p.deceased is None]  # the living at the end
    assert 0.18 < sum(a < 18 for a in ages) / len(ages) < 0.24, "sample is not the French pyramid"
    assert 0.18 < sum(a >= 65 for a in ages) / len(ages) < 0.25, "sample is not the French pyramid"
    off = []
    for name, target in sorted(TARGETS.items()):
        figure = measure(histories, target)
        if abs(figure - target.target) > target.tolerance:
            off.append(f"{name}: {figure:.4f} mesuré, cible {target.target} ± {target.tolerance} ({target.source})")
    assert not off, "\n".join(off)


def test_measure_counts_what_each_kind_of_target_says() -> None:
    """Hand-made histories: two adults of three with E11.9, one of them resolved before the end."""
    cim = model.Coding("cim10", "E11.9", "Diabète sucré de type 2, sans complication")
    patients = [bare_patient(f"m{k}", model.Sex.MALE, date(1960, 1, 1)) for k in range(3)]
    patients.append(bare_patient("child", model.Sex.FEMALE, date(2020, 1, 1)))
    patients[0].conditions.append(model.Condition("c1", [cim], date(2010, 5, 1), None))
    patients[1].conditions.append(model.Condition("c2", [cim], date(2020, 5, 1), None, date(2021, 1, 1)))

    def target(population: str, kind: str) -> Prevalence:
        return Prevalence(0.1, 0.01, population, "cim10:E11.9", kind, "test")

    assert measure(patients, target("adults", "active_at_end")) == pytest.approx(1 / 3)
    assert measure(patients, target("adults", "ever")) == pytest.approx(2 / 3)
    assert measure(patients, target("all", "ever")) == pytest.approx(2 / 4)
    # One onset inside the 10-year windows, over 3 adults x 10 years and one 6-year-old child.
    years = (3 * (REFERENCE_END - date(2016, 1, 1)).days + (REFERENCE_END - date(2020, 1, 1)).days) / 365.25
    assert measure(patients, target("all", "per_year")) == pytest.approx(1 / years)
