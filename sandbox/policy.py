"""`can(actor, action, resource)`: the one place that decides who may do what.

The decisions are data (`access_matrix.yaml`); routers and the mail handler both ask here, so a
refusal reads the same over HTTP and SMTP.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from sandbox.auth import Actor
from sandbox.errors import ServiceError


@dataclass(frozen=True, slots=True)
class Rule:
    roles: frozenset[str]
    match: Mapping[str, frozenset[str]]

    def grants(self, role: str, resource: Mapping[str, Any]) -> bool:
        if role not in self.roles:
            return False
        return all(str(resource.get(key)) in allowed for key, allowed in self.match.items())


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    reason: str = ""


@dataclass(frozen=True)
class AccessMatrix:
    roles: Mapping[str, Mapping[str, str]]
    rules: Mapping[str, tuple[Rule, ...]]
    refusals: Mapping[str, str]

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> AccessMatrix:
        roles = data["roles"]
        rules: dict[str, tuple[Rule, ...]] = {}
        refusals: dict[str, str] = {}
        for action, spec in data["actions"].items():
            parsed = []
            for rule in spec["rules"]:
                unknown = set(rule["roles"]) - set(roles)
                if unknown:
                    raise ValueError(f"{action}: unknown roles {sorted(unknown)}")
                match = {k: frozenset(map(str, v)) for k, v in rule.get("match", {}).items()}
                parsed.append(Rule(frozenset(rule["roles"]), match))
            rules[action] = tuple(parsed)
            refusals[action] = spec["refusal"]
        return cls(roles, rules, refusals)

    def can(self, role: str, action: str, resource: Mapping[str, Any] | None = None) -> Decision:
        if action not in self.rules:
            raise KeyError(f"action {action!r} is not in the access matrix")
        resource = resource or {}
        if any(rule.grants(role, resource) for rule in self.rules[action]):
            return Decision(True)
        return Decision(False, self.refusals[action])


    def allowed_values(self, role: str, action: str, key: str) -> frozenset[str] | None:
        """The values of `key` for which `role` may do `action` (None: any value), for a
        decision taken in SQL over many resources at once."""
        allowed: set[str] = set()
        for rule in self.rules[action]:
            if role not in rule.roles:
                continue
            if set(rule.match) - {key}:
                raise ValueError(f"{action}: a rule matches on more than {key!r}")
            if key not in rule.match:
                return None
            allowed |= rule.match[key]
        return frozenset(allowed)


@cache
def _load() -> AccessMatrix:
    text = resources.files("sandbox").joinpath("access_matrix.yaml").read_text(encoding="utf-8")
    return AccessMatrix.from_mapping(yaml.safe_load(text))


_LOADING = threading.Lock()


def matrix() -> AccessMatrix:
    """The access matrix, read once per process. Locked: the first burst of requests (20 SMTP
    sessions at once) otherwise parsed the YAML once per thread, ~0.1 s of CPU each."""
    with _LOADING:
        return _load()


def can(actor: Actor, action: str, resource: Mapping[str, Any] | None = None) -> Decision:
    return matrix().can(actor.role, action, resource)


def require(actor: Actor, action: str, resource: Mapping[str, Any] | None = None) -> None:
    """Raise a 403 OperationOutcome with the matrix's French reason if `actor` may not act."""
    decision = can(actor, action, resource)
    if not decision.allowed:
        raise ServiceError(403, decision.reason, code="forbidden")
