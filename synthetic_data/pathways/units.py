"""Durations in pathway files: `{quantity: 3, unit: months}` and `{low, high, unit}`."""

from __future__ import annotations

import calendar
import random
from datetime import datetime, timedelta
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


def add_months(when: datetime, months: int) -> datetime:
    """Same day `months` later (or the month's last day), as a calendar would."""
    index = when.month - 1 + months
    year, month = when.year + index // 12, index % 12 + 1
    return when.replace(year=year, month=month, day=min(when.day, calendar.monthrange(year, month)[1]))


class Duration:
    """An exact or uniformly drawn duration, in days; whole exact months or years are calendar
    months (1 year after 1 January is the next 1 January)."""

    __slots__ = ("calendar", "high", "low", "months")

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
        quantity = spec.get("quantity")
        whole = isinstance(quantity, int) and not isinstance(quantity, bool)
        self.months = quantity * (12 if spec["unit"] == "years" else 1) if whole and spec["unit"] in ("months", "years") else None

    def after(self, when: datetime, rng: random.Random) -> datetime:
        """The moment this duration after `when`."""
        if self.months is not None:
            return add_months(when, self.months)
        return when + self.draw(rng)

    def draw(self, rng: random.Random) -> timedelta:
        days = self.low if self.low == self.high else rng.uniform(self.low, self.high)
        if self.calendar:
            return timedelta(days=round(days))
        return timedelta(minutes=round(days * 1440))
