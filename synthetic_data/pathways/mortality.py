"""Life and death: when a patient dies over the history, and nothing recorded after it.

Each year of the history the patient may die with the life-table probability for their sex and
age (`referentials.death_probability`, INSEE), multiplied by the hazard ratio of every condition
active at the start of that year (`referentials.mortality_hazard_ratios`, sourced) and divided
by the population's mean hazard ratio at that sex and age (`referentials.mean_hazard_ratio`):
the table already averages over the sick and the well, so the population as a whole dies as
INSEE's table says, the sick more and the well less. The draw comes after the pathways have
run, from the same patient stream, and only reads what happened before the year it tests: the
history up to the death is exactly the one simulated, and everything dated after the death day
(encounters, conditions, observations, orders, vaccines, documents) is removed.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from synthetic_data.model import Condition, Patient
from synthetic_data.referentials import (
    death_probability,
    mean_hazard_ratio,
    mortality_hazard_ratios,
)

YEAR = timedelta(days=365.2425)


def _age(patient: Patient, when: date) -> int:
    born = patient.identity.birth_date
    return when.year - born.year - ((when.month, when.day) < (born.month, born.day))


def _active_keys(conditions: list[Condition], when: date) -> set[str]:
    return {
        f"{coded.system}:{coded.code}"
        for c in conditions
        if c.onset <= when and (c.resolved is None or c.resolved > when)
        for coded in c.codes
    }


def years_at_risk(start: date, end: date) -> Iterator[tuple[date, date]]:
    """The yearly steps of [start, end) at which a death is drawn; the last one may be short."""
    when = start
    while when < end:
        following = min(end, when + YEAR)
        yield when, following
        when = following


def hazard_ratio(patient: Patient, when: date) -> float:
    """The product of the hazard ratios of the conditions active on `when`."""
    ratio = 1.0
    ratios = mortality_hazard_ratios()
    for key in _active_keys(patient.conditions, when):
        ratio *= ratios.get(key, 1.0)
    return ratio


def yearly_risk(patient: Patient, when: date) -> float:
    """The probability of dying within the year starting `when`, conditions active then included."""
    sex, age = patient.identity.sex, _age(patient, when)
    baseline = death_probability(sex, age) / mean_hazard_ratio(sex, age)
    return min(1.0, baseline * hazard_ratio(patient, when))


def draw_death(patient: Patient, rng: random.Random, start: date, end: date) -> date | None:
    """The death day within [start, end), or None: one draw per year of history (the last year
    cut short is weighed by the fraction lived)."""
    for when, following in years_at_risk(start, end):
        risk = 1.0 - (1.0 - yearly_risk(patient, when)) ** ((following - when) / YEAR)
        if rng.random() < risk:
            return when + timedelta(days=int(rng.random() * (following - when).days))
    return None


def close_history(patient: Patient, death: date) -> None:
    """Record the death and drop every act dated after the death day; a stay under way ends on it;
    a condition still active then stays active (the patient died with it)."""
    patient.deceased = death
    last = datetime.combine(death, time(23, 59))
    patient.encounters = [e for e in patient.encounters if e.start <= last]
    for encounter in patient.encounters:
        encounter.end = min(encounter.end, last)
    patient.conditions = [c for c in patient.conditions if c.onset <= death]
    for condition in patient.conditions:
        if condition.resolved is not None and condition.resolved > death:
            condition.resolved = None
    patient.observations = [o for o in patient.observations if o.effective <= last]
    patient.medications = [m for m in patient.medications if m.authored <= last]
    patient.immunizations = [i for i in patient.immunizations if i.date <= death]
    patient.documents = [d for d in patient.documents if d.date <= last]
