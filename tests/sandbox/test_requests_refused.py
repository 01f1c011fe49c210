"""Malformed, unauthenticated, unauthorised and cross-tenant requests: always a 4xx with a
French OperationOutcome, never a 500 — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sandbox_helpers import OTHER_TENANT, TENANT, assert_outcome, events

from sandbox.auth import Actor, issue_token
from sandbox.client import AuthenticationError, ServiceUnavailable

TRAITS = {"nom_naissance": "MARTIN", "prenoms": ["JEAN"], "sexe": "M",
          "date_naissance": "1980-01-01"}


@pytest.mark.parametrize("content, ctype", [
    (b'{"nom_naissance": "MARTIN", ', "application/json"),
    (b"[1, 2, 3]", "application/json"),
    (b"nom=MARTIN", "application/x-www-form-urlencoded"),
    (b"\xff\xfe\x00", "application/json"),
    (b"", "application/json"),
])
def test_malformed_bodies(live, content, ctype):
    response = live.http("medecin").post("/insi/recuperation/traits", content=content,
                                         headers={"content-type": ctype})
    assert_outcome(response, 400)


def test_malformed_json_says_so(live):
    response = live.http("medecin").post("/insi/verification", content=b"{oups",
                                         headers={"content-type": "application/json"})
    assert "JSON mal formé" in assert_outcome(response, 400)


def test_wrong_types_name_the_field(live):
    response = live.http("medecin").post("/insi/recuperation/traits",
                                         json={**TRAITS, "prenoms": "JEAN"})
    assert "prenoms" in assert_outcome(response, 400)


def test_missing_token(live):
    response = httpx.post(f"{live.url}/insi/recuperation/traits", json=TRAITS)
    assert "Authorization: Bearer" in assert_outcome(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("header", ["Bearer abc.def", "Bearer", "Basic dXNlcjpwdw==",
                                    "Bearer x" * 3])
def test_forged_or_odd_tokens(live, header):
    response = httpx.post(f"{live.url}/insi/recuperation/traits", json=TRAITS,
                          headers={"Authorization": header})
    assert_outcome(response, 401)


def test_token_signed_with_another_secret(live):
    token = issue_token(Actor(TENANT, "facilitateur", "facilitateur"), secret="autre",
                        now=datetime.now(UTC), ttl_seconds=600)
    response = httpx.get(f"{live.url}/admin/events",
                         headers={"Authorization": f"Bearer {token}"})
    assert "Jeton invalide" in assert_outcome(response, 401)


def test_expired_token(live):
    token = issue_token(Actor(TENANT, "medecin", "medecin"), secret=live.sandbox.settings.secret,
                        now=datetime.now(UTC) - timedelta(days=2), ttl_seconds=60)
    response = httpx.post(f"{live.url}/insi/recuperation/traits", json=TRAITS,
                          headers={"Authorization": f"Bearer {token}"})
    assert "expiré" in assert_outcome(response, 401)


@pytest.mark.parametrize("login, password, tenant", [
    ("medecin", "mauvais", TENANT),
    ("inconnu", "bac-a-sable", TENANT),
    ("medecin", "bac-a-sable", "tenant-inexistant"),
])
def test_wrong_credentials(live, login, password, tenant):
    response = httpx.post(f"{live.url}/auth/token",
                          json={"tenant": tenant, "login": login, "password": password})
    assert "mot de passe" in assert_outcome(response, 401)


def test_client_wrong_password_is_typed(live):
    from sandbox.client import connect

    with pytest.raises(AuthenticationError, match="mot de passe"):
        connect("medecin", url=live.url, tenant=TENANT, password="faux")


def test_unknown_route_and_method(live):
    client = live.http("medecin")
    assert_outcome(client.get("/nulle-part"), 404)
    assert_outcome(client.delete("/insi/verification"), 405)
    assert_outcome(client.post("/annuaire/fhir/Practitioner", json={}), 405)


def test_wrong_persona_is_refused_and_traced(live):
    response = live.http("patient").get("/admin/faults")
    assert "animateur" in assert_outcome(response, 403)
    last = events(live.sandbox, TENANT, service="admin")[-1]
    assert (last.persona, last.action, last.outcome) == ("patient", "admin.faults", "refused")


def test_tenants_are_isolated(live, connect_as):
    """A fault, events and tokens of one tenant never reach the other."""
    facilitator_a = connect_as("facilitateur")
    facilitator_b = connect_as("facilitateur", tenant=OTHER_TENANT)
    medecin_a, medecin_b = connect_as("medecin"), connect_as("medecin", tenant=OTHER_TENANT)
    marker = "zz-isolation-marker"
    medecin_a.annuaire.search("Organization", name=marker)
    facilitator_a.admin.fault("insi", "indisponible", message="Panne simulée classe A")
    try:
        with pytest.raises(ServiceUnavailable, match="classe A"):
            medecin_a.insi.search(nom="A", prenoms="B", sexe="F", date_naissance="2000-01-01")
        answer = medecin_b.insi.search(nom="A", prenoms="B", sexe="F",
                                       date_naissance="2000-01-01")
        assert answer.code_retour == "01"
        assert facilitator_b.admin.faults() == []
    finally:
        facilitator_a.admin.clear("insi")
    seen_a = [e["detail"] for e in facilitator_a.admin.events(service="annuaire")]
    seen_b = [e["detail"] for e in facilitator_b.admin.events(service="annuaire")]
    assert any(["name", marker] in d.get("parametres", []) for d in seen_a)
    assert not any(["name", marker] in d.get("parametres", []) for d in seen_b)
    # a token names its tenant: B's token only ever reads B's rows
    assert medecin_b.me()["tenant"] == OTHER_TENANT


def test_other_tenant_ids_are_not_found(live, seeded):
    """A resource created only in tenant A is a 404 for tenant B, with the same id."""
    from sandbox.services.annuaire.models import DirectoryEntry

    with seeded.store.session() as session:
        session.add(DirectoryEntry(tenant=TENANT, resource_type="Organization",
                                   id="org-seulement-a", resource={
                                       "resourceType": "Organization", "id": "org-seulement-a",
                                       "name": "Seulement A"}))
    assert live.http("medecin").get("/annuaire/fhir/Organization/org-seulement-a").status_code \
        == 200
    other = live.http("medecin", tenant=OTHER_TENANT)
    assert_outcome(other.get("/annuaire/fhir/Organization/org-seulement-a"), 404)
    assert other.get("/annuaire/fhir/Organization", params={"_id": "org-seulement-a"}
                     ).json()["total"] == 0
