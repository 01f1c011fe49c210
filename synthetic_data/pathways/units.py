"""Durations in pathway files: `{quantity: 3, unit: months}` and `{low, high, unit}`."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from synthetic_data.pathways.errors import SpecError

# Calendar units are averaged: pathways describe care rhythms, not anniversaries.
UNIT_DAYS: dict[str, float] = {
    "minutes": 1 / 1440,
    "hours": 1 / 24,
    "days": 1.0,
    "weeks": 7.0,
    "months": 365.25 / 12,
    "years": 365.25,
}
# Delays in these units land at midnight, so that the next encounter draws its own hour.
DAY_UNITS = frozenset({"days", "weeks", "months", "years"})


def unit_days(spec: dict[str, Any]) -> float:
    unit = spec.get("unit")
    if unit not in UNIT_DAYS:
        raise SpecError(f"unité « {unit} » inconnue (valeurs possibles : {', '.join(UNIT_DAYS)})")
    return UNIT_DAYS[unit]


def number(spec: dict[str, Any], key: str) -> float:
    value = spec.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SpecError(f"champ « {key} » : nombre attendu, reçu {value!r}")
    return float(value)


class Duration:
    """An exact or uniformly drawn duration, in days."""

    __slots__ = ("calendar", "high", "low")

    def __init__(self, spec: Any) -> None:
        if not isinstance(spec, dict):
            raise SpecError(f"durée attendue sous la forme {{quantity, unit}} ou {{low, high, unit}}, reçu {spec!r}")
        scale = unit_days(spec)
        if "quantity" in spec:
            self.low = self.high = number(spec, "quantity") * scale
        else:
            self.low, self.high = number(spec, "low") * scale, number(spec, "high") * scale
            if self.low > self.high:
                raise SpecError(f"durée : low ({spec['low']}) supérieur à high ({spec['high']})")
        self.calendar = spec["unit"] in DAY_UNITS

    def draw(self, rng: random.Random) -> timedelta:
        days = self.low if self.low == self.high else rng.uniform(self.low, self.high)
        if self.calendar:
            return timedelta(days=round(days))
        return timedelta(days=days)
