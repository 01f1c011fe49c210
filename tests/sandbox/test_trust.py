"""Issue 14 over real HTTP (uvicorn on loopback, SQLite and PostgreSQL): secrets per deployment,
failed logins throttled and traced, bounded requests without 500s, one audit vocabulary with
every access traced, idempotency keys that leak nothing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from urllib.parse import quote

import httpx
import pytest
from fixtures.servers import LiveServer
from sandbox_helpers import assert_outcome, events
from test_dmp_world import (  # noqa: F401  (dmp_live_fixture: the `dmp_live` fixture)
    INS_A,
    PASSWORD,
    build_sandbox,
    dmp_live_fixture,
    document,
)

from sandbox.deployment import require_for_start
from sandbox.runtime import Sandbox
from sandbox.settings import Settings
from synthetic_data.errors import SantelabError

pytestmark = pytest.mark.xdist_group("dmp-live")
DMP_SEARCH = "/dmp/fhir/DocumentReference"
PATIENT_A = f"urn:oid:1.2.250.1.213.1.4.10|{INS_A}"
PRESCRIPTION = {"patient": INS_A, "lignes": [{"medicament": "PARACETAMOL 1 g",
                                              "posologie": "si douleur", "quantite": 1,
                                              "duree_jours": 5}]}


def client(server, login: str, tenant: str = "t1") -> httpx.Client:
    r = httpx.post(f"{server.url}/auth/token",
                   json={"tenant": tenant, "login": login, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return httpx.Client(base_url=server.url, timeout=30,
                        headers={"Authorization": f"Bearer {r.json()['access_token']}"})


def variant(sandbox: Sandbox, **settings) -> Sandbox:
    """The same store served with other settings (limits), and a throttle of its own."""
    return Sandbox(sandbox.settings.model_copy(update=settings), sandbox.store, sandbox.clock)


def forged(secret: str, payload: dict) -> str:
    """A token signed with the real secret but shaped by hand (what other code could mint)."""
    body = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    mac = hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()
    return f"{body}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


# --- secrets per deployment -----------------------------------------------------------------

def test_each_store_signs_with_its_own_secret_kept_across_restarts(dmp_live, tmp_path):
    sandbox, server = dmp_live
    assert Settings().secret == "" and len(sandbox.settings.secret) >= 32
    again = Sandbox.open(Settings(db=sandbox.store.url, data_dir=tmp_path))
    try:
        assert again.settings.secret == sandbox.settings.secret  # kept in the store
    finally:
        again.store.dispose()
    other = build_sandbox(tmp_path / "autre")
    try:
        assert other.settings.secret != sandbox.settings.secret
        with LiveServer(other, "t1") as foreign:
            token = client(foreign, "medecin").headers["Authorization"]
            answer = httpx.get(f"{server.url}/auth/me", headers={"Authorization": token})
            assert "Jeton invalide" in assert_outcome(answer, 401)
    finally:
        other.store.dispose()


def test_the_facilitator_never_logs_in_with_the_personas_password(live):
    from fixtures.personas import FACILITATOR_PASSWORD
    from sandbox_helpers import TENANT

    refused = httpx.post(f"{live.url}/auth/token", json={
        "tenant": TENANT, "login": "facilitateur", "password": PASSWORD})
    assert_outcome(refused, 401)
    assert httpx.post(f"{live.url}/auth/token", json={
        "tenant": TENANT, "login": "facilitateur",
        "password": FACILITATOR_PASSWORD}).status_code == 200


@pytest.mark.parametrize("settings", [
    {"db": "postgresql://sandbox:pw@127.0.0.1:5432/sandbox"},
    {"host": "0.0.0.0"},
    {"db": "postgresql://sandbox:pw@127.0.0.1:5432/sandbox", "persona_password": "p-classe",
     "facilitator_password": ""},
])
def test_a_shared_sandbox_refuses_to_start_without_its_own_passwords(settings, monkeypatch):
    monkeypatch.delenv("SANTELAB_FACILITATOR_PASSWORD", raising=False)
    with pytest.raises(SantelabError) as refused:
        require_for_start(Settings(**settings))
    assert "SANTELAB_PERSONA_PASSWORD" in str(refused.value)
    assert "SANTELAB_FACILITATOR_PASSWORD" in str(refused.value)
    require_for_start(Settings(**{**settings, "persona_password": "p-classe",
                                  "facilitator_password": "anim-classe"}))
    require_for_start(Settings())  # the embedded local sandbox keeps its public default


def test_copies_of_one_template_share_no_secret_and_take_their_passwords(tmp_path, monkeypatch):
    from sandbox.auth import verify
    from sandbox.template_cache import open_seeded

    opened = []
    for name, facilitator in (("a", "anim-a"), ("b", "anim-b")):
        monkeypatch.setenv("SANTELAB_FACILITATOR_PASSWORD", facilitator)
        settings = Settings(data_dir=tmp_path, patients=20, seed=3,
                            db=f"sqlite:///{tmp_path / name / 'sandbox.sqlite'}")
        sandbox, _ = open_seeded(settings, "t")
        opened.append(sandbox)
        with sandbox.store.session() as session:
            assert verify(session, "t", "facilitateur", facilitator) is not None
            assert verify(session, "t", "facilitateur", PASSWORD) is None
            assert verify(session, "t", "medecin", PASSWORD) is not None
    try:
        assert opened[0].settings.secret != opened[1].settings.secret
    finally:
        for sandbox in opened:
            sandbox.store.dispose()


# --- failed logins --------------------------------------------------------------------------

def test_failed_logins_are_throttled_per_account_and_address_and_traced(dmp_live):
    sandbox, _server = dmp_live
    strict = variant(sandbox, login_free_failures=2, login_free_failures_per_address=4,
                     login_max_delay_seconds=600)
    with LiveServer(strict, "t1") as server:
        def login(name: str, password: str) -> httpx.Response:
            return httpx.post(f"{server.url}/auth/token",
                              json={"tenant": "t1", "login": name, "password": password})

        for _ in range(2):  # two free failures: the next attempt must wait
            assert_outcome(login("medecin", "devine"), 401)
        locked = login("medecin", PASSWORD)  # even with the right password
        assert "Trop de tentatives" in assert_outcome(locked, 429)
        assert int(locked.headers["Retry-After"]) >= 1
        assert login("pharmacien", PASSWORD).status_code == 200  # another account is free
        assert_outcome(login("kine", "devine"), 401)  # the address's 3rd failure
        assert_outcome(login("infirmier", "devine"), 401)  # its 4th: the address waits now
        assert_outcome(login("sage-femme", PASSWORD), 429)
    traced = [e for e in events(sandbox, "t1", service="auth") if e.action == "auth.login"]
    assert len(traced) == 6 and {e.outcome for e in traced} == {"refused"}
    assert traced[0].persona == "medecin" and traced[0].detail["protocole"] == "http"
    assert traced[0].detail["adresse"] == "127.0.0.1"


def test_throttle_doubles_the_wait_forgets_old_failures_and_stays_bounded():
    from sandbox.login_throttle import LoginThrottle

    now = [1000.0]
    throttle = LoginThrottle(free_per_account=1, free_per_address=100, window_seconds=60,
                             max_delay_seconds=8, max_tracked=3, clock=lambda: now[0])
    account = ("t", "Medecin")
    throttle.failed(account, "10.0.0.1")
    assert throttle.wait(("t", "medecin"), None) == 1.0  # logins compared without case
    waits = []
    for _ in range(5):
        throttle.failed(account, "10.0.0.1")
        waits.append(throttle.wait(account, None))
    assert waits == [2.0, 4.0, 8.0, 8.0, 8.0]
    now[0] += 61
    assert throttle.wait(account, None) == 0.0
    throttle.failed(account, None)
    throttle.succeeded(account)
    assert throttle.wait(account, None) == 0.0
    for i in range(10):
        throttle.failed(("t", f"x{i}"), f"10.0.1.{i}")
    assert all(len(table) <= 3 for table in throttle._tables.values())


# --- bounded requests, no 500 ---------------------------------------------------------------

def test_request_bodies_are_bounded_declared_or_chunked(dmp_live):
    sandbox, _server = dmp_live
    with LiveServer(variant(sandbox, max_body_bytes=4096), "t1") as server, \
            client(server, "medecin") as http:
        big = document(text="x" * 10_000)
        assert "4096 octets" in assert_outcome(http.post(DMP_SEARCH, json=big), 413)

        def chunks():
            payload = json.dumps(big).encode()
            for i in range(0, len(payload), 1000):
                yield payload[i:i + 1000]

        chunked = http.post(DMP_SEARCH, content=chunks(),
                            headers={"Content-Type": "application/fhir+json"})
        assert_outcome(chunked, 413)
        assert http.post(DMP_SEARCH, json=document(text="petit")).status_code == 201


@pytest.mark.parametrize("payload", [
    {"t": "t1", "l": "medecin", "r": "medecin"},
    {"t": "t1", "l": "medecin", "r": "medecin", "exp": "demain"},
    {"t": "t1", "l": "medecin", "r": "medecin", "exp": None},
    {"t": ["t1"], "l": "medecin", "r": "medecin", "exp": 4102444800},
    ["t1", "medecin"],
])
def test_signed_tokens_without_a_usable_expiry_or_identity_are_401(dmp_live, payload):
    sandbox, server = dmp_live
    token = forged(sandbox.settings.secret, payload)
    answer = httpx.get(f"{server.url}/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert_outcome(answer, 401)


@pytest.mark.parametrize("date", ["ge0001-01-01", "lt0001-01-01T00:30:00+02:00",
                                  "gt9999-12-31", "le9999-12-31T23:59:59-05:00", "eq2025-13-01"])
def test_dmp_dates_out_of_range_are_400(dmp_live, date):
    _sandbox, server = dmp_live
    with client(server, "medecin") as http:
        answer = http.get(DMP_SEARCH, params={"patient.identifier": PATIENT_A, "date": date})
        assert "date" in assert_outcome(answer, 400)


def test_a_huge_dispense_line_is_400_and_the_connection_stays_usable(dmp_live):
    _sandbox, server = dmp_live
    with client(server, "medecin") as doctor:
        number = doctor.post("/eprescription/prescriptions", json=PRESCRIPTION).json()["numero"]
    with client(server, "pharmacien") as pharmacy:
        for line in (2**63, 2**64 + 1, 21):
            answer = pharmacy.post(f"/eprescription/prescriptions/{number}/dispense",
                                   json={"ligne": line, "quantite": 1})
            assert_outcome(answer, 400)
            assert answer.headers.get("connection") != "close"
        assert pharmacy.post(f"/eprescription/prescriptions/{number}/dispense",
                             json={"ligne": 1, "quantite": 1}).status_code == 200


@pytest.mark.parametrize("reason", ["\x00\x00\x00\x00\x00", "\ufffd\ufffd\ufffd\ufffd\ufffd",
                                    "urgence\x07vitale", "      ", "%00%00%00%00%00",
                                    "%FF%FE%FD%FC%FB", "urg\u200bence vitale"])
def test_unreadable_break_glass_reasons_are_400(dmp_live, reason):
    _sandbox, server = dmp_live
    with client(server, "medecin2") as http:
        answer = http.get(DMP_SEARCH, params={"patient.identifier": PATIENT_A,
                                              "_bris_de_glace": reason})
        assert "motif" in assert_outcome(answer, 400)
        ok = http.get(DMP_SEARCH, params={"patient.identifier": PATIENT_A,
                                          "_bris_de_glace": quote("détresse respiratoire")})
        assert ok.status_code == 200


def test_times_are_aware_utc_in_every_answer(dmp_live):
    _sandbox, server = dmp_live
    with client(server, "medecin") as doctor, client(server, "facilitateur") as facilitator, \
            client(server, "patient") as patient:
        created = doctor.post("/eprescription/prescriptions", json=PRESCRIPTION).json()
        assert created["date"].endswith("Z")
        emergency = client(server, "urgentiste")
        emergency.get(DMP_SEARCH, params={"patient.identifier": PATIENT_A,
                                          "_bris_de_glace": "détresse respiratoire"})
        emergency.close()
        stream = facilitator.get("/admin/events").json()
        assert stream and all(e["at"].endswith("Z") for e in stream)
        alerts = patient.get("/dmp/alerts").json()
        assert alerts and all(a["at"].endswith("Z") for a in alerts)
        audit = patient.get("/dmp/fhir/AuditEvent").json()
        assert all(e["resource"]["recorded"].endswith("+00:00") for e in audit["entry"])


def test_fhir_answers_are_declared_fhir_json_in_the_openapi(dmp_live):
    _sandbox, server = dmp_live
    paths = httpx.get(f"{server.url}/openapi.json").json()["paths"]
    for path, method in ((DMP_SEARCH, "get"), ("/dmp/fhir", "post"),
                         ("/dmp/fhir/AuditEvent", "get"),
                         ("/eprescription/prescriptions/{number}/fhir", "get")):
        content = paths[path][method]["responses"]["200"]["content"]
        assert "application/fhir+json" in content and "application/json" not in content
    assert "application/json" in paths["/dmp/consent"]["get"]["responses"]["200"]["content"]


def test_delay_ms_slows_only_the_lent_mode(dmp_live):
    _sandbox, server = dmp_live
    with client(server, "facilitateur") as facilitator, client(server, "medecin") as doctor:
        facilitator.put("/admin/faults/dmp", json={"mode": "erreur", "status": 503,
                                                   "delay_ms": 60_000}).raise_for_status()
        # answered at once: a 60 s delay would exceed this client's 10 s timeout
        answer = doctor.get(DMP_SEARCH, params={"patient.identifier": PATIENT_A}, timeout=10)
        assert answer.status_code == 503
        facilitator.delete("/admin/faults/dmp").raise_for_status()


# --- one vocabulary, every access traced ----------------------------------------------------

def test_the_patient_reads_french_labels_and_every_access_is_traced(dmp_live):
    from sandbox.client import connect

    sandbox, server = dmp_live
    with client(server, "medecin") as doctor, client(server, "patient") as patient:
        assert doctor.post(DMP_SEARCH, json=document()).status_code == 201
        doctor.get(DMP_SEARCH, params={"patient.identifier": PATIENT_A})
        assert_outcome(doctor.post("/eprescription/prescriptions", json={"patient": INS_A}), 400)
        assert_outcome(doctor.get("/dmp/fhir/DocumentReference/inconnu"), 404)
        patient.get("/dmp/consent").raise_for_status()
        patient.get("/dmp/alerts").raise_for_status()
    actions = {(e.action, e.outcome) for e in events(sandbox, "t1")}
    assert {("dmp.consent.read", "success"), ("dmp.alerts.read", "success"),
            ("eprescription.request.refused", "refused"),
            ("dmp.request.refused", "refused")} <= actions
    assert {e.outcome for e in events(sandbox, "t1")} <= {"success", "refused", "error"}
    history = connect("patient", url=server.url, tenant="t1", password=PASSWORD).dmp.audit()
    labels = {entry.action for entry in history}
    assert {"Recherche de documents", "Alimentation du DMP (dépôt de document)",
            "Consultation des autorisations du DMP"} <= labels
    assert not labels & {"Query", "Export", "Patient Record", "Import"}
    assert {entry.outcome for entry in history} <= {"succès", "refus", "erreur"}


# --- idempotency ----------------------------------------------------------------------------

def test_an_idempotency_key_replays_only_to_its_caller_with_the_same_body(dmp_live):
    sandbox, server = dmp_live
    key = {"Idempotency-Key": "ordonnance-du-15"}
    with client(server, "medecin") as doctor, client(server, "medecin2") as other:
        first = doctor.post("/eprescription/prescriptions", json=PRESCRIPTION, headers=key)
        assert first.status_code == 201
        replay = doctor.post("/eprescription/prescriptions", json=PRESCRIPTION, headers=key)
        assert replay.status_code == 200 and replay.json()["numero"] == first.json()["numero"]
        changed = {**PRESCRIPTION, "note": "une autre demande"}
        refused = doctor.post("/eprescription/prescriptions", json=changed, headers=key)
        assert "Clé d'idempotence" in assert_outcome(refused, 422)
        theirs = other.post("/eprescription/prescriptions", json=PRESCRIPTION, headers=key)
        assert theirs.status_code == 201
        assert theirs.json()["numero"] != first.json()["numero"]
        assert theirs.json()["prescripteur"] == "medecin2"
        again = other.post("/eprescription/prescriptions", json=PRESCRIPTION, headers=key)
        assert again.json()["numero"] == theirs.json()["numero"]
    replays = [(e.persona, e.outcome) for e in events(sandbox, "t1")
               if e.action == "erx.replay"]
    assert replays == [("medecin", "success"), ("medecin", "refused"), ("medecin2", "success")]


def test_search_pages_and_counts_in_the_database_what_the_actor_may_see(dmp_live):
    _sandbox, server = dmp_live
    emergency = {"patient.identifier": PATIENT_A, "_bris_de_glace": "détresse respiratoire"}
    with client(server, "medecin") as doctor, client(server, "urgentiste") as other:
        for i in range(3):
            assert doctor.post(DMP_SEARCH, json=document(text=f"CR {i}")).status_code == 201
        assert doctor.post(DMP_SEARCH, json=document(
            text="masqué", confidentiality="MASQUE_PS")).status_code == 201

        def page(http, **params):
            found = http.get(DMP_SEARCH, params={"patient.identifier": PATIENT_A, **params})
            assert found.status_code == 200, found.text
            return found.json()["total"], len(found.json().get("entry", []))

        assert page(doctor, _count=3) == (4, 3)
        assert page(doctor, _count=3, _offset=3) == (4, 1)
        assert page(doctor, _count=3, _offset=9) == (4, 0)
        assert page(doctor, _count=0) == (4, 0)
        assert page(other, **emergency, _count=2) == (3, 2)  # the masked one is not counted
        assert page(other, **emergency, _count=2, _offset=2) == (3, 1)
