"""Life and death over 5,000 simulated histories of the French pyramid: deaths as many as INSEE's
life table raised by the patients' conditions predicts, and nothing recorded after a death."""

from __future__ import annotations

import math
import random
from datetime import date, datetime

import pytest

from synthetic_data import model
from synthetic_data import referentials as ref
from synthetic_data.pathways import REFERENCE_END
from synthetic_data.pathways.calibration import age_at, bare_patient
from synthetic_data.pathways.engine import history_start
from synthetic_data.pathways.mortality import YEAR, close_history, draw_death, yearly_risk

pytestmark = [pytest.mark.xdist_group("pyramid_histories"), pytest.mark.slow]


def _years_at_risk(patient: model.Patient):
    """(start of the year, fraction of a year at risk) until the death or the end."""
    when = history_start(patient.identity.birth_date, REFERENCE_END)
    last = patient.deceased or REFERENCE_END
    while when < last:
        following = min(REFERENCE_END, when + YEAR)
        yield when, (following - when) / YEAR
        when = following


def _table_risk(patient: model.Patient, when: date, with_conditions: bool) -> float:
    """The oracle, from the data files alone: life table × hazard ratio of each active condition."""
    risk = ref.death_probability(patient.identity.sex, age_at(patient, when))
    if with_conditions:
        active = {f"{c.system}:{c.code}" for cond in patient.conditions for c in cond.codes
                  if cond.onset <= when and (cond.resolved is None or cond.resolved > when)}
        for key in active:
            risk *= ref.mortality_hazard_ratios().get(key, 1.0)
    return min(1.0, risk)


def _expected(patients, with_conditions: bool) -> tuple[float, float]:
    """Expected deaths and their variance over the years each patient was at risk."""
    mean = variance = 0.0
    for patient in patients:
        for when, span in _years_at_risk(patient):
            q = 1.0 - (1.0 - _table_risk(patient, when, with_conditions)) ** span
            mean += q
            variance += q * (1.0 - q)
    return mean, variance


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


def test_deaths_follow_the_life_table_raised_by_the_conditions(pyramid_histories) -> None:
    """Observed deaths within 4 standard deviations of what INSEE's table, multiplied by the
    hazard ratios of the conditions active each year, predicts (about ±14 % here)."""
    observed = sum(p.deceased is not None for p in pyramid_histories)
    expected, variance = _expected(pyramid_histories, with_conditions=True)
    assert abs(observed - expected) <= 4 * math.sqrt(variance), (observed, expected)


def test_conditions_raise_deaths_above_the_bare_life_table(pyramid_histories) -> None:
    """The bare life table (people of the same age and sex in France) predicts fewer deaths
    than observed, but not by more than the conditions' weight allows (under +80 %: the
    hazard ratios alone predict about +40 % on this sample)."""
    observed = sum(p.deceased is not None for p in pyramid_histories)
    bare, variance = _expected(pyramid_histories, with_conditions=False)
    assert bare - 3 * math.sqrt(variance) <= observed <= 1.8 * bare, (observed, bare)


def test_every_hazard_ratio_names_a_pathway_condition_and_raises_the_risk() -> None:
    codes = {f"cim10:{row}" for row in _cim10_codes()}
    for key, ratio in ref.mortality_hazard_ratios().items():
        assert key in codes and 1.0 < ratio < 5.0, key


def _cim10_codes() -> set[str]:
    from synthetic_data.pathways.loader import DEFAULT_DIRECTORY

    lines = (DEFAULT_DIRECTORY / "codes" / "cim10.csv").read_text(encoding="utf-8").splitlines()
    return {line.split(",")[0] for line in lines[1:]}


def test_yearly_risk_multiplies_the_table_by_the_active_conditions() -> None:
    patient = bare_patient("hf", model.Sex.MALE, date(1950, 6, 1))
    failure = model.Coding("cim10", "I50.9", "Insuffisance cardiaque")
    patient.conditions.append(model.Condition("c", [failure], date(2019, 1, 1), None))
    # INSEE 2019, men: q(68) = 16.12 per 1,000, q(71) = 19.72 (data_sources/insee_death_rates_2019.csv)
    assert yearly_risk(patient, date(2018, 7, 1)) == pytest.approx(0.01612)  # 68 years
    assert yearly_risk(patient, date(2021, 7, 1)) == pytest.approx(0.01972 * 3.0)  # 71, with HF


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
