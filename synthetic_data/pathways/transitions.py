"""The four transition kinds of a state: direct, distributed, conditional, complex.

Transitions are built once at load time and are stateless; `follow` draws only from the
patient's rng. `targets` lists every state a transition may lead to, for validation.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from synthetic_data.pathways.conditions import Logic, build_condition
from synthetic_data.pathways.errors import SpecError

if TYPE_CHECKING:
    from datetime import datetime

    from synthetic_data.pathways.pathway import Instance
    from synthetic_data.pathways.simulation import PatientRun

KINDS = ("direct_transition", "distributed_transition", "conditional_transition", "complex_transition")


class Transition:
    def follow(self, run: PatientRun, inst: Instance, now: datetime) -> str:
        raise NotImplementedError

    def targets(self) -> list[str]:
        raise NotImplementedError


class Direct(Transition):
    def __init__(self, target: Any) -> None:
        if not isinstance(target, str):
            raise SpecError(f"direct_transition : nom d'état attendu, reçu {target!r}")
        self.target = target

    def follow(self, run: PatientRun, inst: Instance, now: datetime) -> str:
        return self.target

    def targets(self) -> list[str]:
        return [self.target]


class Distributed(Transition):
    """Draw the next state; probabilities must sum to 1."""

    def __init__(self, options: Any) -> None:
        if not isinstance(options, list) or not options:
            raise SpecError("distributed_transition : liste de {transition, distribution} attendue")
        self.names: list[str] = []
        self.cumulative: list[float] = []
        total = 0.0
        for option in options:
            if not isinstance(option, dict) or not isinstance(option.get("transition"), str):
                raise SpecError(f"distributed_transition : entrée sans « transition » : {option!r}")
            weight = option.get("distribution")
            if isinstance(weight, bool) or not isinstance(weight, int | float) or weight < 0:
                raise SpecError(f"distributed_transition : probabilité invalide {weight!r}")
            total += weight
            self.names.append(option["transition"])
            self.cumulative.append(total)
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            raise SpecError(f"distributed_transition : les probabilités font {total:g} au lieu de 1")

    def follow(self, run: PatientRun, inst: Instance, now: datetime) -> str:
        draw = run.rng.random()
        for name, bound in zip(self.names, self.cumulative, strict=True):
            if draw < bound:
                return name
        return self.names[-1]

    def targets(self) -> list[str]:
        return list(self.names)


def branches(options: Any, kind: str) -> list[tuple[Logic | None, Any]]:
    """Parse ordered `{condition?, ...}` entries; only the last one may omit its condition."""
    if not isinstance(options, list) or not options:
        raise SpecError(f"{kind} : liste d'options attendue")
    parsed: list[tuple[Logic | None, Any]] = []
    for index, option in enumerate(options):
        if not isinstance(option, dict):
            raise SpecError(f"{kind} : option {index + 1} invalide : {option!r}")
        condition = build_condition(option["condition"]) if "condition" in option else None
        if condition is None and index != len(options) - 1:
            raise SpecError(f"{kind} : seule la dernière option peut n'avoir aucune condition")
        parsed.append((condition, option))
    if parsed[-1][0] is not None:
        raise SpecError(f"{kind} : la dernière option doit être un repli sans condition")
    return parsed


class Conditional(Transition):
    """Ordered options: the first whose condition holds wins; the last is the fallback."""

    def __init__(self, options: Any) -> None:
        self.options: list[tuple[Logic | None, Transition]] = []
        for condition, option in branches(options, "conditional_transition"):
            self.options.append((condition, Direct(option.get("transition"))))

    def follow(self, run: PatientRun, inst: Instance, now: datetime) -> str:
        for condition, transition in self.options:
            if condition is None or condition.test(run, inst, now):
                return transition.follow(run, inst, now)
        raise AssertionError("unreachable: the last option has no condition")

    def targets(self) -> list[str]:
        return [name for _, t in self.options for name in t.targets()]


class Complex(Conditional):
    """Like conditional, but each option leads to a transition or to distributions."""

    def __init__(self, options: Any) -> None:
        self.options = []
        for condition, option in branches(options, "complex_transition"):
            inner: Transition = (
                Distributed(option["distributions"])
                if "distributions" in option
                else Direct(option.get("transition"))
            )
            self.options.append((condition, inner))


def build_transition(spec: dict[str, Any]) -> Transition | None:
    """Build the state's transition; None when it has none (the loader decides if that's ok)."""
    present = [kind for kind in KINDS if kind in spec]
    if len(present) > 1:
        raise SpecError(f"plusieurs transitions ({', '.join(present)}) : une seule est permise")
    if not present:
        return None
    kind = present[0]
    cls = {"direct_transition": Direct, "distributed_transition": Distributed,
           "conditional_transition": Conditional, "complex_transition": Complex}[kind]
    return cls(spec[kind])
