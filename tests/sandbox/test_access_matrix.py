"""The access matrix as the services serve it, over HTTP.

What each right should be is stated by hand, rule by rule, in test_clinical_rights.py. Here:
the matrix file is well formed (every action refuses in French), and for the actions the INSi,
Annuaire and admin services guard, every role's persona gets 2xx or 403 over a real server
exactly as the matrix decides, each refusal with the matrix's reason and an event.
"""

from __future__ import annotations

import pytest
from sandbox_helpers import TENANT, assert_outcome, events, is_french

from sandbox import policy
from sandbox.auth import Actor

MATRIX = policy.matrix()
ROLES = sorted(MATRIX.roles)


def test_every_action_refuses_in_french():
    assert MATRIX.rules
    for action, reason in MATRIX.refusals.items():
        assert is_french(reason), action


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
    "drill.facilitate": ("GET", "/drill/scenarios", None),
    "drill.play": ("GET", "/drill/messages", None),
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
        decision = MATRIX.can(role, action)
        if decision.allowed:
            assert response.status_code == 200, (role, response.text)
        else:
            assert assert_outcome(response, 403) == decision.reason
            last = events(live.sandbox, TENANT, service=service)[-1]
            assert (last.persona, last.role, last.action, last.outcome) == (
                login, role, action, "refused"), role
