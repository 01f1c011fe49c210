"""The access matrix, cell by cell, read FROM its data file.

1. Every (action × role × resource) cell of `sandbox/access_matrix.yaml`: `policy.can` agrees
   with a direct reading of the YAML, for resources matching and not matching each rule.
2. Over HTTP, for the actions the INSi, Annuaire and admin services guard: every role's
   persona gets 2xx or 403 exactly as the file says, and every refusal leaves an event.
"""

from __future__ import annotations

import itertools
from importlib import resources

import pytest
import yaml
from sandbox_helpers import TENANT, assert_outcome, events

from sandbox import policy
from sandbox.auth import Actor

DATA = yaml.safe_load(
    resources.files("sandbox").joinpath("access_matrix.yaml").read_text(encoding="utf-8"))
ROLES = sorted(DATA["roles"])
ACTIONS = sorted(DATA["actions"])
OUTSIDE = "__hors_liste__"


def expected(action: str, role: str, resource: dict) -> bool:
    """The YAML read literally: some rule lists the role and all its `match` values fit."""
    for rule in DATA["actions"][action]["rules"]:
        if role in rule["roles"] and all(
                str(resource.get(key)) in {str(v) for v in values}
                for key, values in rule.get("match", {}).items()):
            return True
    return False


def resources_for(action: str) -> list[dict]:
    """No attributes, then every combination of the values each match key lists, plus one
    value outside every list (so that both sides of each rule are exercised)."""
    keys: dict[str, set[str]] = {}
    for rule in DATA["actions"][action]["rules"]:
        for key, values in rule.get("match", {}).items():
            keys.setdefault(key, set()).update(map(str, values))
    out: list[dict] = [{}]
    names = sorted(keys)
    for combo in itertools.product(*[[*sorted(keys[k]), OUTSIDE] for k in names]):
        out.append(dict(zip(names, combo, strict=True)))
    return out


CELLS = [(action, role, resource) for action in ACTIONS for role in ROLES
         for resource in resources_for(action)]


def test_the_file_is_complete():
    assert DATA["roles"] and DATA["actions"]
    for action, spec in DATA["actions"].items():
        assert spec["refusal"].strip(), action
        for rule in spec["rules"]:
            assert set(rule["roles"]) <= set(DATA["roles"]), action


@pytest.mark.parametrize("action, role, resource", CELLS,
                         ids=[f"{a}-{r}-{'-'.join(map(str, x.values())) or 'vide'}"
                              for a, r, x in CELLS])
def test_cell(action, role, resource):
    decision = policy.can(Actor(TENANT, "x", role), action, resource)
    assert decision.allowed is expected(action, role, resource)
    if not decision.allowed:
        assert decision.reason == DATA["actions"][action]["refusal"]


def test_some_cells_allow_and_some_refuse():
    outcomes = {expected(a, r, x) for a, r, x in CELLS}
    assert outcomes == {True, False}


def test_unknown_action_is_a_programming_error():
    with pytest.raises(KeyError):
        policy.can(Actor(TENANT, "x", "medecin"), "action.inexistante")


# --- over HTTP -------------------------------------------------------------------------------

PERSONA_OF_ROLE = {"medecin": "medecin", "sage_femme": "sage-femme", "pharmacien": "pharmacien",
                   "infirmier": "infirmier", "kine": "kine", "secretaire": "secretaire",
                   "etudiant": "etudiant", "patient": "patient", "facilitateur": "facilitateur"}

TRAITS = {"nom_naissance": "MARTIN", "prenoms": ["JEAN"], "sexe": "M",
          "date_naissance": "1980-01-01"}
ENDPOINTS = {
    "insi.search": ("POST", "/insi/recuperation/traits", TRAITS),
    "insi.verify": ("POST", "/insi/verification",
                    {**TRAITS, "matricule": "180017510100111"}),
    "annuaire.search": ("GET", "/annuaire/fhir/Organization", None),
    "admin.faults": ("GET", "/admin/faults", None),
    "admin.events": ("GET", "/admin/events?limit=1", None),
}


def test_every_role_has_a_persona():
    assert set(PERSONA_OF_ROLE) == set(ROLES)


@pytest.mark.parametrize("action", sorted(ENDPOINTS))
def test_http_cells(live, action):
    method, path, body = ENDPOINTS[action]
    service = action.split(".")[0]
    for role, login in PERSONA_OF_ROLE.items():
        client = live.http(login)
        response = client.request(method, path, json=body)
        if expected(action, role, {}):
            assert response.status_code == 200, (role, response.text)
        else:
            text = assert_outcome(response, 403)
            assert text == DATA["actions"][action]["refusal"]
            last = events(live.sandbox, TENANT, service=service)[-1]
            assert (last.persona, last.role, last.action, last.outcome) == (
                login, role, action, "refused"), role
