"""French epidemiology by sex and age (referentials_data/epidemiology.csv, each figure with its
source) holds on 5,000 simulated patients of the French pyramid, within each stated tolerance."""

from __future__ import annotations

import pytest

from synthetic_data import model
from synthetic_data import referentials as ref
from synthetic_data.pathways import REFERENCE_END
from synthetic_data.pathways.calibration import age_at

pytestmark = [pytest.mark.xdist_group("pyramid_histories"), pytest.mark.slow]


def prevalence(patients: list[model.Patient], band: ref.PrevalenceBand) -> tuple[float, int]:
    """Share of the living people of the band with the condition active at the end, and their number."""
    system, _, code = band.condition.partition(":")
    group = [p for p in patients if p.deceased is None
             and band.holds(p.identity.sex, age_at(p, REFERENCE_END))]
    ill = sum(any(c.resolved is None and any((k.system, k.code) == (system, code) for k in c.codes)
                  for c in p.conditions) for p in group)
    return ill / len(group), len(group)


def test_every_band_names_a_source_and_a_tolerance_within_its_figure() -> None:
    bands = ref.epidemiology()
    assert {b.condition for b in bands} >= {"cim10:I10", "cim10:J44.9", "cim10:J45.9", "cim10:I50.9"}
    assert all(b.source and 0 < b.tolerance < b.prevalence for b in bands)


def test_prevalences_by_sex_and_age_within_tolerance(pyramid_histories) -> None:
    off = []
    for band in ref.epidemiology():
        figure, people = prevalence(pyramid_histories, band)
        if abs(figure - band.prevalence) > band.tolerance:
            off.append(f"{band.condition} {band.sex} {band.age_from}-{band.age_to or ''} : "
                       f"{figure:.3f} mesuré sur {people}, cible {band.prevalence} ± {band.tolerance}")
    assert not off, "\n".join(off)


@pytest.mark.parametrize(("condition", "age_from", "age_to", "more"), [
    ("cim10:I10", 18, 75, "M"),
    ("cim10:J44.9", 40, None, "M"),
    ("cim10:I50.9", 55, 75, "M"),
    ("cim10:J45.9", 0, 15, "M"),
    ("cim10:J45.9", 15, None, "F"),
])
def test_the_sex_ratio_goes_the_french_way(pyramid_histories, condition, age_from, age_to, more) -> None:
    figures = {
        sex: prevalence(pyramid_histories, ref.PrevalenceBand(condition, sex, age_from, age_to, 0, 0, ""))[0]
        for sex in ("M", "F")
    }
    less = "F" if more == "M" else "M"
    assert figures[more] > figures[less], figures
