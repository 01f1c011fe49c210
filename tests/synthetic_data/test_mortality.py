"""Life and death over 5,000 simulated histories of the people alive in the history window:
deaths at INSEE's rates over the person-years actually lived, a crude death rate near France's,
and nothing recorded after a death."""

from __future__ import annotations

import math
import random
from collections import defaultdict
from datetime import date, datetime

import pytest

from synthetic_data import model
from synthetic_data import referentials as ref
from synthetic_data.pathways import REFERENCE_END
from synthetic_data.pathways.calibration import age_at, bare_patient
from synthetic_data.pathways.engine import history_start
from synthetic_data.pathways.mortality import (
    YEAR,
    close_history,
    draw_death,
    yearly_risk,
    years_at_risk,
)

pytestmark = [pytest.mark.xdist_group("pyramid_histories"), pytest.mark.slow]

BANDS = ((0, "0-59"), (60, "60-74"), (75, "75-84"), (85, "85+"))
FRANCE_2019 = 613_000 / 67_000_000  # INSEE, bilan démographique 2019: 613,000 deaths, 67 M people


def _band(age: int) -> str:
    return [name for start, name in BANDS if age >= start][-1]


def _deaths_by_band(patients) -> dict[str, tuple[int, float, float]]:
    """Band of age → (observed deaths, expected deaths, person-years) over the years actually
    lived: INSEE's bare table, its yearly probability turned into a hazard, times the time lived
    (until the death or the end), summed by the age at the start of each year at risk."""
    observed: dict[str, int] = defaultdict(int)
    expected: dict[str, float] = defaultdict(float)
    years: dict[str, float] = defaultdict(float)
    for patient in patients:
        start = history_start(patient.identity.birth_date, REFERENCE_END)
        band = _band(age_at(patient, start))
        for when, following in years_at_risk(start, patient.deceased or REFERENCE_END):
            band = _band(age_at(patient, when))
            span = (following - when) / YEAR
            q = ref.death_probability(patient.identity.sex, age_at(patient, when))
            expected[band] += -math.log1p(-q) * span
            years[band] += span
        observed[band] += patient.deceased is not None  # the death falls in the last year lived
    return {name: (observed[name], expected[name], years[name]) for _, name in BANDS}


def test_nothing_is_recorded_after_death(pyramid_histories) -> None:
    dead = [p for p in pyramid_histories if p.deceased]
    assert len(dead) > 100
    for patient in dead:
        last = datetime.combine(patient.deceased, datetime.max.time())
        assert all(e.start <= last and e.end <= last for e in patient.encounters), patient.id
        assert all(c.onset <= patient.deceased for c in patient.conditions), patient.id
        assert all(o.effective <= last for o in patient.observations), patient.id
        assert all(m.authored <= last for m in patient.medications), patient.id
        assert all(i.date <= patient.deceased for i in patient.immunizations), patient.id
        assert all(d.date <= last for d in patient.documents), patient.id


def test_deaths_by_age_follow_insee_life_table(pyramid_histories) -> None:
    """Deaths by broad age band, and in all, within 4 standard deviations (Poisson) of what
    INSEE's 2019 table predicts over the person-years lived: the conditions' hazard ratios move
    deaths from the well to the sick, not the population's total."""
    bands = _deaths_by_band(pyramid_histories)
    total_observed = sum(o for o, _, _ in bands.values())
    total_expected = sum(e for _, e, _ in bands.values())
    for name, (observed, expected, _) in bands.items():
        assert abs(observed - expected) <= 4 * math.sqrt(expected), (name, observed, expected)
    assert abs(total_observed - total_expected) <= 4 * math.sqrt(total_expected), (total_observed, total_expected)


def test_crude_death_rate_is_france(pyramid_histories) -> None:
    """Deaths per person-year within 15 % of France's crude death rate (9.1 per 1,000 in 2019):
    the population has France's age structure over the window (census 2018 at its start, the
    births of the window added; no migration, and the 2019 table throughout)."""
    bands = _deaths_by_band(pyramid_histories)
    rate = sum(o for o, _, _ in bands.values()) / sum(y for _, _, y in bands.values())
    assert abs(rate / FRANCE_2019 - 1.0) <= 0.15, rate * 1000


def test_the_sick_die_more_than_the_well(pyramid_histories) -> None:
    """Among people of the same ages, those with heart failure die more than the table's rate
    and those with no condition weighing on mortality less (the life table averages both)."""
    sick = [p for p in pyramid_histories if any(
        c.code == "I50.9" for cond in p.conditions for c in cond.codes)]
    well = [p for p in pyramid_histories if not any(
        f"{c.system}:{c.code}" in ref.mortality_hazard_ratios() for cond in p.conditions for c in cond.codes)]
    sick_observed, sick_expected = (sum(x[i] for x in _deaths_by_band(sick).values()) for i in (0, 1))
    well_observed, well_expected = (sum(x[i] for x in _deaths_by_band(well).values()) for i in (0, 1))
    assert sick_observed > sick_expected and well_observed < well_expected, (
        sick_observed, sick_expected, well_observed, well_expected)


def test_every_hazard_ratio_names_a_pathway_condition_and_raises_the_risk() -> None:
    codes = {f"cim10:{row}" for row in _cim10_codes()}
    for key, ratio in ref.mortality_hazard_ratios().items():
        assert key in codes and 1.0 < ratio < 5.0, key


def _cim10_codes() -> set[str]:
    from synthetic_data.pathways.loader import DEFAULT_DIRECTORY

    lines = (DEFAULT_DIRECTORY / "codes" / "cim10.csv").read_text(encoding="utf-8").splitlines()
    return {line.split(",")[0] for line in lines[1:]}


def test_yearly_risk_divides_the_table_by_the_mean_and_multiplies_by_the_conditions() -> None:
    patient = bare_patient("hf", model.Sex.MALE, date(1950, 6, 1))
    failure = model.Coding("cim10", "I50.9", "Insuffisance cardiaque")
    patient.conditions.append(model.Condition("c", [failure], date(2019, 1, 1), None))
    # INSEE 2019, men: q(68) = 16.12 per 1,000, q(71) = 19.72 (data_sources/insee_death_rates_2019.csv),
    # divided by the population's mean hazard ratio at 65-69 and 70-74 (mortality_mean_hazard.csv)
    mean_68, mean_71 = (ref.mean_hazard_ratio(model.Sex.MALE, age) for age in (68, 71))
    assert 1.0 < mean_68 < 3.0 and 1.0 < mean_71 < 3.0
    assert yearly_risk(patient, date(2018, 7, 1)) == pytest.approx(0.01612 / mean_68)  # 68 years
    assert yearly_risk(patient, date(2021, 7, 1)) == pytest.approx(0.01972 / mean_71 * 3.0)  # 71, with HF


def test_close_history_drops_what_follows_the_death_day() -> None:
    patient = bare_patient("x", model.Sex.FEMALE, date(1930, 1, 1))
    stay = model.Encounter("e1", "IMP", datetime(2020, 3, 1, 10), datetime(2020, 3, 9, 11), None,
                           "pra", "org", "hospital_stay")
    later = model.Encounter("e2", "AMB", datetime(2020, 4, 1, 9), datetime(2020, 4, 1, 9, 20), None,
                            "pra", "org", "wellness")
    patient.encounters = [stay, later]
    patient.conditions = [model.Condition("c", [model.Coding("cim10", "J18.9", "Pneumopathie")],
                                          date(2020, 3, 1), "e1", resolved=date(2020, 3, 20))]
    close_history(patient, date(2020, 3, 5))
    assert patient.deceased == date(2020, 3, 5) and patient.encounters == [stay]
    assert stay.end == datetime(2020, 3, 5, 23, 59)
    assert patient.conditions[0].resolved is None  # died with it


def test_death_draws_are_fixed_by_the_stream() -> None:
    old = bare_patient("o", model.Sex.MALE, date(1925, 1, 1))
    draws = {draw_death(old, random.Random(7), date(2016, 1, 1), REFERENCE_END) for _ in range(3)}
    assert len(draws) == 1
