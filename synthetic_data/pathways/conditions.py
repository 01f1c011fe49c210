"""Conditions (`condition_type:`) that guards and conditional transitions test.

Each class reads its fields from the pathway spec once, at load time, and is stateless after
that: `test` looks only at the patient's run. `earliest` lets a waiting Guard skip ahead to the
first moment a purely time-driven condition can become true, instead of re-testing every step.
"""

from __future__ import annotations

import math
import operator
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from synthetic_data.model import Sex
from synthetic_data.pathways.errors import SpecError
from synthetic_data.pathways.units import Duration, add_months, number, unit_days
from synthetic_data.terminology import UnknownCode, coding

if TYPE_CHECKING:
    from synthetic_data.pathways.pathway import Instance
    from synthetic_data.pathways.simulation import PatientRun

OPERATORS = {
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
    ">=": operator.ge,
    ">": operator.gt,
}
NIL_OPERATORS = ("is nil", "is not nil")

CONDITIONS: dict[str, type[Logic]] = {}


def register(cls: type[Logic]) -> type[Logic]:
    CONDITIONS[cls.condition_type] = cls
    return cls


def build_condition(spec: Any) -> Logic:
    """Build a condition from its spec, dispatching on `condition_type`."""
    if not isinstance(spec, dict) or "condition_type" not in spec:
        raise SpecError(f"condition sans « condition_type » : {spec!r}")
    cls = CONDITIONS.get(spec["condition_type"])
    if cls is None:
        raise SpecError(
            f"type de condition inconnu « {spec['condition_type']} » "
            f"(types connus : {', '.join(sorted(CONDITIONS))})"
        )
    return cls(spec)


def code_key(reference: Any) -> str:
    """Check a "system:code" reference against the code lists and return it."""
    try:
        coding(str(reference))
    except UnknownCode as exc:
        raise SpecError(exc.args[0]) from None
    return str(reference)


def compare(spec: dict[str, Any]) -> tuple[str, Any]:
    op = spec.get("operator")
    if op not in OPERATORS and op not in NIL_OPERATORS:
        raise SpecError(f"opérateur « {op} » inconnu (valeurs possibles : {', '.join([*OPERATORS, *NIL_OPERATORS])})")
    return op, spec.get("value")


def apply(op: str, left: Any, right: Any) -> bool:
    if op == "is nil":
        return left is None
    if op == "is not nil":
        return left is not None
    if left is None:
        return False
    return OPERATORS[op](left, right)


class Logic:
    condition_type: ClassVar[str]

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec

    def test(self, run: PatientRun, inst: Instance, now: datetime) -> bool:
        raise NotImplementedError

    def earliest(self, run: PatientRun, now: datetime) -> datetime | None:
        """First time this condition may turn true, when that depends on time alone."""
        return None


@register
class TrueLogic(Logic):
    condition_type = "True"

    def test(self, run: PatientRun, inst: Instance, now: datetime) -> bool:
        return True


@register
class FalseLogic(Logic):
    condition_type = "False"

    def test(self, run: PatientRun, inst: Instance, now: datetime) -> bool:
        return False


@register
class Age(Logic):
    """Age compared with `quantity`; in years or months it counts completed ones, as a calendar
    does (born on 29 February, one turns a year older on 1 March)."""

    condition_type = "Age"

    def __init__(self, spec: dict[str, Any]) -> None:
        self.op, _ = compare(spec)
        if self.op in NIL_OPERATORS:
            raise SpecError("condition Age : opérateur de comparaison numérique attendu")
        self.quantity = number(spec, "quantity")
        self.days = self.quantity * unit_days(spec)
        self.months = {"years": 12, "months": 1}.get(spec["unit"])  # calendar birthdays
        self.fn = OPERATORS[self.op]

    def test(self, run: PatientRun, inst: Instance, now: datetime) -> bool:
        if self.months is None:
            return self.fn((now - run.birth).total_seconds() / 86400, self.days)
        born = run.birth
        months = (now.year - born.year) * 12 + now.month - born.month - (now.day < born.day)
        return self.fn(months // self.months, self.quantity)

    def earliest(self, run: PatientRun, now: datetime) -> datetime | None:
        if self.op not in (">=", ">"):
            return None
        if self.months is None:  # days or weeks: the first midnight at or after that age
            return run.birth + timedelta(days=math.ceil(self.days))
        months = math.floor(self.quantity) + 1 if self.op == ">" else math.ceil(self.quantity)
        return add_months(run.birth, months * self.months)


@register
class Gender(Logic):
    condition_type = "Gender"

    def __init__(self, spec: dict[str, Any]) -> None:
        try:
            self.sex = Sex(spec.get("gender"))
        except ValueError:
            raise SpecError(f"condition Gender : « gender » vaut F ou M, reçu {spec.get('gender')!r}") from None

    def test(self, run: PatientRun, inst: Instance, now: datetime) -> bool:
        return run.patient.identity.sex is self.sex


@register
class Attribute(Logic):
    condition_type = "Attribute"

    def __init__(self, spec: dict[str, Any]) -> None:
        if not isinstance(spec.get("attribute"), str):
            raise SpecError("condition Attribute : champ « attribute » manquant")
        self.attribute = spec["attribute"]
        self.op, self.value = compare(spec)

    def test(self, run: PatientRun, inst: Instance, now: datetime) -> bool:
        return apply(self.op, run.attributes.get(self.attribute), self.value)


@register
class PriorState(Logic):
    """The patient went through state `name` of this pathway (optionally `within` a duration)."""

    condition_type = "PriorState"

    def __init__(self, spec: dict[str, Any]) -> None:
        if not isinstance(spec.get("name"), str):
            raise SpecError("condition PriorState : champ « name » manquant")
        self.name = spec["name"]
        self.within = timedelta(days=Duration(spec["within"]).low) if "within" in spec else None

    def test(self, run: PatientRun, inst: Instance, now: datetime) -> bool:
        seen = run.visited.get((inst.pathway.name, self.name))
        return seen is not None and (self.within is None or now - seen <= self.within)


@register
class ActiveCondition(Logic):
    condition_type = "ActiveCondition"

    def __init__(self, spec: dict[str, Any]) -> None:
        codes = spec.get("codes")
        if not isinstance(codes, list) or not codes:
            raise SpecError("condition ActiveCondition : liste « codes » attendue")
        self.codes = [code_key(c) for c in codes]

    def test(self, run: PatientRun, inst: Instance, now: datetime) -> bool:
        return any(c in run.active for c in self.codes)


@register
class Date(Logic):
    """The simulated date compared with `date` (YYYY-MM-DD), `year`, or its `month` (1-12)."""

    condition_type = "Date"

    def __init__(self, spec: dict[str, Any]) -> None:
        self.op, _ = compare(spec)
        if self.op in NIL_OPERATORS:
            raise SpecError("condition Date : opérateur de comparaison attendu")
        self.fn = OPERATORS[self.op]
        self.month = int(spec["month"]) if "month" in spec else None
        if self.month is not None:
            if not 1 <= self.month <= 12:
                raise SpecError(f"condition Date : « month » entre 1 et 12, reçu {self.month}")
            return
        raw = spec.get("date", date(int(spec["year"]), 1, 1) if "year" in spec else None)
        if not isinstance(raw, date):
            raise SpecError("condition Date : champ « date » (AAAA-MM-JJ), « year » ou « month » attendu")
        self.when = datetime.combine(raw, time())

    def test(self, run: PatientRun, inst: Instance, now: datetime) -> bool:
        if self.month is not None:
            return self.fn(now.month, self.month)
        return self.fn(now, self.when)

    def earliest(self, run: PatientRun, now: datetime) -> datetime | None:
        if self.month is not None:
            if self.op != "==" or now.month == self.month:
                return None
            year = now.year + (self.month < now.month)
            return datetime(year, self.month, 1)
        return self.when if self.op in (">=", ">") else None


class Composite(Logic):
    def __init__(self, spec: dict[str, Any]) -> None:
        parts = spec.get("conditions")
        if not isinstance(parts, list) or not parts:
            raise SpecError(f"condition {self.condition_type} : liste « conditions » attendue")
        self.parts = [build_condition(p) for p in parts]


@register
class And(Composite):
    condition_type = "And"

    def test(self, run: PatientRun, inst: Instance, now: datetime) -> bool:
        return all(p.test(run, inst, now) for p in self.parts)

    def earliest(self, run: PatientRun, now: datetime) -> datetime | None:
        known = [t for p in self.parts if (t := p.earliest(run, now)) is not None]
        return max(known) if known else None


@register
class Or(Composite):
    condition_type = "Or"

    def test(self, run: PatientRun, inst: Instance, now: datetime) -> bool:
        return any(p.test(run, inst, now) for p in self.parts)

    def earliest(self, run: PatientRun, now: datetime) -> datetime | None:
        known = [p.earliest(run, now) for p in self.parts]
        return None if None in known else min(known)  # type: ignore[type-var]


@register
class Not(Logic):
    condition_type = "Not"

    def __init__(self, spec: dict[str, Any]) -> None:
        self.part = build_condition(spec.get("condition"))

    def test(self, run: PatientRun, inst: Instance, now: datetime) -> bool:
        return not self.part.test(run, inst, now)


@register
class Observation(Logic):
    """Latest value of an observation, or its change over `change_within`, against a threshold."""

    condition_type = "Observation"

    def __init__(self, spec: dict[str, Any]) -> None:
        self.code = code_key(spec.get("code"))
        self.op, self.value = compare(spec)
        window = spec.get("change_within")
        self.window = timedelta(days=Duration(window).low) if window is not None else None

    def test(self, run: PatientRun, inst: Instance, now: datetime) -> bool:
        series = run.series.get(self.code)
        if not series:
            return apply(self.op, None, self.value)
        last_time, last = series[-1]
        if self.window is None:
            return apply(self.op, last, self.value)
        # Change since the oldest reading inside the window, else since the one just before it.
        since, base = last_time - self.window, None
        for when, value in reversed(series[:-1]):
            if when < since:
                base = value if base is None else base
                break
            base = value
        return base is not None and apply(self.op, last - base, self.value)
