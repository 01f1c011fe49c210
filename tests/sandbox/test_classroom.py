"""A class on one sandbox (sandbox/classroom.py), over real HTTP: a tenant per student, seeded
on the first login with its own password; no other password opens it, no token crosses
tenants."""

from __future__ import annotations

import httpx
import pytest
from fixtures.servers import LiveServer

from sandbox.auth import tenant_password
from sandbox.runtime import Sandbox
from sandbox.seeding import is_seeded
from sandbox.settings import Settings

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
