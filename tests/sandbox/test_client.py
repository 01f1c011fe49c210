"""sandbox.client: in-process (no server) and against a real uvicorn server; typed errors."""

from __future__ import annotations

import pytest

from sandbox import client as sandbox_client
from sandbox import in_process as in_process_sandbox
from sandbox.client import (
    AccessDenied,
    AuthenticationError,
    Conflict,
    ConnectionFailed,
    Gone,
    InvalidRequest,
    NotFound,
    SandboxError,
    ServerError,
    ServiceUnavailable,
    connect,
)
from sandbox.client.errors import error_for
from sandbox.ports import free_port
from sandbox.service_registry import SERVICES


@pytest.fixture
def in_process(monkeypatch, tmp_path):
    """connect() without URL: a private seeded copy of a small template in tmp_path."""
    monkeypatch.delenv("SANTELAB_URL", raising=False)
    monkeypatch.setenv("SANTELAB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SANTELAB_PATIENTS", "40")
    monkeypatch.setenv("SANTELAB_TENANT", "notebook")
    yield
    for sandbox, transport in in_process_sandbox._LOCAL.values():
        transport.close()
        sandbox.store.dispose()
    in_process_sandbox._LOCAL.clear()


def test_in_process_session(in_process, tmp_path):
    s = connect("medecin")
    assert (s.persona, s.role, s.tenant) == ("medecin", "medecin", "notebook")
    assert s.local is not None
    me = s.me()
    assert me["practitioner_id"]
    doctors = s.annuaire.search(profession="10", _count=100)
    assert me["practitioner_id"] in {r["id"] for r in doctors}
    # the template is cached under the data dir; the session works on a private copy
    templates = list((tmp_path / "data" / "templates").glob("*.sqlite"))
    assert len(templates) == 1
    assert str(templates[0]) not in s.local.store.url


def test_in_process_personas_share_one_sandbox(in_process):
    medecin = connect("medecin")
    marker = "marqueur-partage"
    medecin.annuaire.search("Organization", name=marker)
    facilitator = connect("facilitateur")
    assert facilitator.local is medecin.local
    seen = facilitator.admin.events(service="annuaire")
    assert any(["name", marker] in e["detail"]["parametres"] for e in seen)


def test_the_event_stream_filters_by_action_in_the_store(in_process):
    """A student's trace is read by action: an early action stays found however many others
    (reads, searches) the student made after it, beyond one page of the stream."""
    medecin, facilitator = connect("medecin"), connect("facilitateur")
    medecin.annuaire.search("Organization", name="premier")
    for _ in range(12):
        medecin.annuaire.search(name="x")
    everything = facilitator.admin.events(limit=5)
    assert len(everything) == 5
    searches = facilitator.admin.events(action="annuaire.search", limit=100)
    assert len(searches) == 13 and {e["action"] for e in searches} == {"annuaire.search"}
    assert ["name", "premier"] in searches[0]["detail"]["parametres"]
    by_prefix = facilitator.admin.events(action="annuaire.", limit=100)
    assert {e["seq"] for e in searches} <= {e["seq"] for e in by_prefix}
    assert facilitator.admin.events(action="annuaire", limit=100) == []  # a code, not a prefix


def test_in_process_faults_and_typed_errors(in_process):
    facilitator, medecin = connect("facilitateur"), connect("medecin")
    facilitator.admin.fault("annuaire", "erreur", status=502, message="Annuaire en panne")
    try:
        with pytest.raises(ServerError, match="Annuaire en panne") as caught:
            medecin.annuaire.search(name="x")
        assert caught.value.status == 502
        assert caught.value.outcome["resourceType"] == "OperationOutcome"
    finally:
        facilitator.admin.clear("annuaire")
    assert medecin.annuaire.search(name="x").total >= 0
    with pytest.raises(AccessDenied, match="animateur"):
        medecin.admin.faults()
    with pytest.raises(InvalidRequest, match="inconnu"):
        medecin.annuaire.search(commune_de_naissance="Lyon")
    with pytest.raises(NotFound):
        medecin.annuaire.get("Practitioner", "personne")
    with pytest.raises(AuthenticationError):
        connect("medecin", password="faux")


def test_every_registered_service_has_its_client(in_process):
    """`s.<name>` for each client entry of the service registry, built once per connection."""
    s = connect("medecin")
    names = [service.name for service in SERVICES if service.client]
    assert {"insi", "annuaire", "dmp", "eprescription", "mssante", "admin"} <= set(names)
    for name in names:
        resource = getattr(s, name)
        assert isinstance(resource, sandbox_client.Resource)
        assert resource._connection is s
        assert getattr(s, name) is resource
    with pytest.raises(AttributeError):
        _ = s.inexistant


def test_over_http(live, connect_as, population):
    s = connect_as("medecin")
    assert s.local is None
    patient = next(p for p in population.identities() if p.identity.ins and not p.related_to)
    answer = s.insi.search(nom=patient.identity.birth_name,
                           prenoms=" ".join(patient.identity.given_names),
                           sexe=patient.identity.sex.value,
                           date_naissance=patient.identity.ins_birth_date)
    assert answer.identite.matricule == patient.identity.ins


def test_env_url_is_used(live, monkeypatch):
    monkeypatch.setenv("SANTELAB_URL", live.url)
    monkeypatch.setenv("SANTELAB_TENANT", "classe-b")
    s = connect("pharmacien")
    assert s.local is None and s.me()["tenant"] == "classe-b"


def test_unreachable_sandbox():
    with pytest.raises(ConnectionFailed, match="injoignable"):
        connect("medecin", url=f"http://127.0.0.1:{free_port()}")


@pytest.mark.parametrize("status, cls", [
    (400, InvalidRequest), (401, AuthenticationError), (403, AccessDenied), (404, NotFound),
    (409, Conflict), (410, Gone), (412, Conflict), (422, InvalidRequest),
    (503, ServiceUnavailable), (500, ServerError), (502, ServerError), (418, InvalidRequest),
])
def test_error_mapping(status, cls):
    outcome = {"resourceType": "OperationOutcome",
               "issue": [{"severity": "error", "code": "x", "diagnostics": "Texte français"}]}
    error = error_for(status, outcome)
    assert type(error) is cls and isinstance(error, SandboxError)
    assert str(error) == "Texte français" and error.status == status
    assert "HTTP 500" in str(error_for(500, "pas du JSON"))


def test_in_process_sandbox_plays_its_drills(in_process):
    """No engine process runs beside an in-process sandbox: each request ticks the drill engine,
    so an inject sent now has fired by the next call (at a speed where nothing falls due alone)."""
    facilitator, nurse = connect("facilitateur"), connect("infirmier")
    run = facilitator.drill.start("rancongiciel-dpi-nuit", speed=0.01, run="nuit")["exercice"]
    unit = nurse.dpi.units()[0].code
    assert nurse.dpi.capsule(unit, format="csv")
    facilitator.drill.inject(run, "dpi-chiffre")
    with pytest.raises(ServiceUnavailable):
        nurse.dpi.capsule(unit, format="csv")
    steps = {s["cle"]: s["etat"] for s in facilitator.drill.status(run)["etapes"]}
    assert steps["dpi-chiffre"] == "envoyé"
    assert steps["appel-ide"] == "prévu"  # due 13 scenario minutes in: not before
    facilitator.drill.inject(run, "dpi-retabli")
    assert nurse.dpi.capsule(unit, format="csv")
