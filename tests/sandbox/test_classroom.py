"""A class on one sandbox (sandbox/classroom.py), over real HTTP: a tenant per student, seeded
on the first login with its own password; no other password opens it, no token crosses
tenants."""

from __future__ import annotations

from types import SimpleNamespace

import httpx
import pytest
from fixtures.servers import LiveServer

from sandbox import deployment
from sandbox.auth import tenant_password, verify
from sandbox.classroom import prepare_class
from sandbox.cli import banner
from sandbox.runtime import Sandbox
from sandbox.seeding import is_seeded
from sandbox.settings import Settings
from synthetic_data.errors import SantelabError

KEY = "cle-de-test-de-la-classe"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("classroom")
    sandbox = Sandbox.open(Settings(db=f"sqlite:///{folder / 'class.sqlite'}", data_dir=folder,
                                    patients=20, class_key=KEY))
    with LiveServer(sandbox, "alice") as live:
        yield live
    sandbox.store.dispose()


def login(server, tenant: str, password: str) -> httpx.Response:
    return httpx.post(f"{server.url}/auth/token", timeout=120,
                      json={"tenant": tenant, "login": "medecin", "password": password})


def test_a_tenant_is_seeded_on_its_first_login_with_its_own_password(server):
    assert not is_seeded(server.sandbox, "alice")
    answer = login(server, "alice", tenant_password(KEY, "alice"))
    assert answer.status_code == 200, answer.text
    assert is_seeded(server.sandbox, "alice")
    assert login(server, "alice", tenant_password(KEY, "alice")).status_code == 200


def test_no_other_password_opens_or_creates_a_tenant(server):
    for password in ("bac-a-sable", tenant_password(KEY, "alice"), tenant_password("x", "bob")):
        answer = login(server, "bob", password)
        assert answer.status_code == 401
        assert answer.json()["resourceType"] == "OperationOutcome"
    assert not is_seeded(server.sandbox, "bob")


def test_a_token_used_on_another_tenant_is_refused_in_french(server):
    token = login(server, "alice", tenant_password(KEY, "alice")).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    other = httpx.get(f"{server.url}/auth/me", headers={**headers, "X-Santelab-Tenant": "bob"})
    assert other.status_code == 403
    diagnostics = other.json()["issue"][0]["diagnostics"]
    assert "« alice »" in diagnostics and "« bob »" in diagnostics
    own = httpx.get(f"{server.url}/auth/me", headers={**headers, "X-Santelab-Tenant": "alice"})
    assert own.json()["tenant"] == "alice"


def test_the_facilitators_password_never_opens_a_students_persona(server):
    facilitator = server.sandbox.settings.facilitator_password
    assert login(server, "alice", facilitator).status_code == 401
    assert login(server, "carol", facilitator).status_code == 401
    assert not is_seeded(server.sandbox, "carol")  # nor does it create a tenant
    answer = httpx.post(f"{server.url}/auth/token", timeout=60, json={
        "tenant": "alice", "login": "facilitateur", "password": tenant_password(KEY, "alice")})
    assert answer.status_code == 401


def test_new_passwords_rehash_each_tenant_with_its_own(server):
    settings = server.sandbox.settings.model_copy(update={"facilitator_password": "anim-2"})
    login(server, "alice", tenant_password(KEY, "alice"))
    login(server, "dave", tenant_password(KEY, "dave"))
    deployment.apply_passwords(settings, server.sandbox.store)
    with server.sandbox.store.session() as session:
        for tenant in ("alice", "dave"):
            assert verify(session, tenant, "medecin", tenant_password(KEY, tenant)) is not None
            assert verify(session, tenant, "facilitateur", "anim-2") is not None
        assert verify(session, "dave", "medecin", tenant_password(KEY, "alice")) is None
        assert verify(session, "dave", "medecin", "bac-a-sable") is None
    deployment.apply_passwords(server.sandbox.settings, server.sandbox.store)


def test_a_class_on_postgresql_needs_only_the_facilitators_password(monkeypatch):
    monkeypatch.delenv("SANTELAB_FACILITATOR_PASSWORD", raising=False)
    url = "postgresql://sandbox:pw@127.0.0.1:5432/sandbox"
    with pytest.raises(SantelabError, match="SANTELAB_FACILITATOR_PASSWORD"):
        deployment.require_for_start(Settings(db=url, class_key=KEY))
    deployment.require_for_start(Settings(db=url, class_key=KEY, facilitator_password="anim"))


def test_the_banner_of_a_class_prints_no_password(server):
    mail = SimpleNamespace(host="127.0.0.1", smtp_port=1, imap_port=2, ca_file="ca.pem")
    text = banner(server.sandbox.settings, [], seconds=1.0, seeded=False, mail=mail)
    assert "SANTELAB_CLASS_KEY" in text
    for secret in ("bac-a-sable", server.sandbox.settings.facilitator_password, KEY):
        assert secret not in text


def test_the_known_students_tenants_are_seeded_before_they_log_in(server):
    settings = server.sandbox.settings.model_copy(update={"class_tenants": "erin, frank,"})
    sandbox = Sandbox(settings=settings, store=server.sandbox.store, clock=server.sandbox.clock)
    prepare_class(sandbox).join(120)
    assert is_seeded(server.sandbox, "erin") and is_seeded(server.sandbox, "frank")
    assert login(server, "frank", tenant_password(KEY, "frank")).status_code == 200
    assert prepare_class(server.sandbox) is None  # no list: nothing to prepare
