"""Life and death: when a patient dies over the history, and nothing recorded after it.

Each year of the history the patient may die with the life-table probability for their sex and
age (`referentials.death_probability`, INSEE), multiplied by the hazard ratio of every condition
active at the start of that year (`referentials.mortality_hazard_ratios`, sourced). The draw comes
after the pathways have run, from the same patient stream, and only reads what happened before
the year it tests: the history up to the death is exactly the one simulated, and everything dated
after the death day (encounters, conditions, observations, orders, vaccines, documents) is removed.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from synthetic_data.model import Condition, Patient
from synthetic_data.referentials import death_probability, mortality_hazard_ratios

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


def yearly_risk(patient: Patient, when: date) -> float:
    """The probability of dying within the year starting `when`, conditions active then included."""
    ratio = 1.0
    ratios = mortality_hazard_ratios()
    for key in _active_keys(patient.conditions, when):
        ratio *= ratios.get(key, 1.0)
    return min(1.0, death_probability(patient.identity.sex, _age(patient, when)) * ratio)


def draw_death(patient: Patient, rng: random.Random, start: date, end: date) -> date | None:
    """The death day within [start, end), or None: one draw per year of history (the last year
    cut short is weighed by the fraction lived)."""
    when = start
    while when < end:
        following = min(end, when + YEAR)
        span = (following - when) / YEAR
        risk = 1.0 - (1.0 - yearly_risk(patient, when)) ** span
        if rng.random() < risk:
            return when + timedelta(days=int(rng.random() * (following - when).days))
        when = following
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
