"""The real command: `santelab sandbox up|reset` in a subprocess; SIGKILL during writes, then
restart: the store opens and every acknowledged write is there (SQLite, and PostgreSQL with
fsync on)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest
from fixtures.personas import persona_token
from fixtures.servers import SandboxUp

from sandbox.runtime import Sandbox
from sandbox.settings import Settings

PATIENTS = "30"


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "santelab", "sandbox", *args]


def sandbox_up(*args: str) -> SandboxUp:
    """`santelab sandbox up` on a small population, read until its banner."""
    return SandboxUp("--patients", PATIENTS, *args).start()


def test_up_serves_docs_and_personas_then_reset(tmp_path):
    data = tmp_path / "data"
    up = sandbox_up("--data-dir", str(data), "--tenant", "atelier")
    try:
        assert "prêt en" in up.banner and "peuplé à l’instant" in up.banner
        seeding = f"Peuplement du bac à sable : {PATIENTS} patients fictifs (graine 42)"
        assert up.lines[0].startswith(seeding), "la ligne de progression précède la bannière"
        for login in ("medecin", "patient", "facilitateur"):
            assert f"\n    {login} " in up.banner
        assert f"{up.url}/docs" in up.banner
        assert httpx.get(f"{up.url}/docs").status_code == 200
        assert "MSSanté    : SMTP" in up.banner
        spec = httpx.get(f"{up.url}/openapi.json").json()
        assert "/insi/recuperation/traits" in spec["paths"]
        assert persona_token(up.url, "medecin", "atelier")
    finally:
        up.stop()
    again = sandbox_up("--data-dir", str(data), "--tenant", "atelier")
    try:
        assert "déjà peuplé" in again.banner and "Peuplement" not in again.banner
    finally:
        again.stop()
    reset = subprocess.run(command("reset", "--data-dir", str(data), "--tenant", "atelier",
                                   "--patients", PATIENTS), capture_output=True, text=True)
    assert reset.returncode == 0, reset.stderr
    assert "réinitialisé et repeuplé" in reset.stdout


@pytest.mark.parametrize("args, message", [
    (["up", "--patients", "0"], "--patients doit être un entier positif"),
    (["up", "--port", "abc"], "nombre entier attendu"),
    (["up", "--db", "mysql://x/y"], "base de données non prise en charge"),
    (["reset", "--db", "postgresql://u:p@127.0.0.1:1/x"], "base de données injoignable"),
    (["nimporte"], "choix invalide"),
])
def test_cli_errors_are_one_french_line(tmp_path, args, message):
    own_passwords = {**os.environ, "SANTELAB_PERSONA_PASSWORD": "mot-de-passe-de-la-classe"}
    result = subprocess.run(command(*args, "--data-dir", str(tmp_path))
                            if args[0] in ("up", "reset") else command(*args),
                            capture_output=True, text=True, timeout=120, env=own_passwords)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args", [["up", "--db", "postgresql://u:p@127.0.0.1:1/x"],
                                  ["reset", "--db", "postgresql://u:p@127.0.0.1:1/x"],
                                  ["up", "--host", "0.0.0.0"]])
def test_a_shared_sandbox_without_its_passwords_does_not_start(tmp_path, args):
    public = {k: v for k, v in os.environ.items() if not k.startswith("SANTELAB_") or
              k == "SANTELAB_DATA_DIR"}
    result = subprocess.run(command(*args, "--data-dir", str(tmp_path)), capture_output=True,
                            text=True, timeout=120, env=public)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "bac à sable partagé" in result.stderr
    assert "SANTELAB_PERSONA_PASSWORD" in result.stderr
    assert "SANTELAB_FACILITATOR_PASSWORD" in result.stderr


def test_database_altered_by_hand_is_a_french_error(tmp_path):
    """A store at the head revision whose tables lack this version's columns is refused."""
    import sqlite3

    from sandbox.store.db import Store

    db = tmp_path / "ancienne.sqlite"
    Store(f"sqlite:///{db}").migrate()
    with sqlite3.connect(db) as old:
        old.execute("ALTER TABLE erx_prescriptions DROP COLUMN dmp_filing")
    result = subprocess.run(command("reset", "--db", f"sqlite:///{db}", "--data-dir",
                                    str(tmp_path)), capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "ne correspond pas au schéma" in result.stderr
    assert "erx_prescriptions.dmp_filing" in result.stderr


def test_busy_port_is_a_french_error(tmp_path):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(command("up", "--port", str(port), "--data-dir", str(tmp_path)),
                                capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "choisissez un autre port" in result.stderr


def _write_until_killed(up: SandboxUp, tenant: str, target: int,
                        password: str | None = None) -> set[str]:
    """Writers (each search is an event row) until `target` are acknowledged, then SIGKILL."""
    bearer = {"Authorization": f"Bearer {persona_token(up.url, 'medecin', tenant, password)}"}
    acknowledged: set[str] = set()
    lock = threading.Lock()
    enough = threading.Event()

    def writer(worker: int) -> None:
        with httpx.Client(base_url=up.url, headers=bearer, timeout=10) as client:
            for n in range(100_000):
                marker = f"m{worker}x{n}"
                try:
                    response = client.get("/annuaire/fhir/Organization",
                                          params={"name": marker})
                except httpx.HTTPError:
                    return  # the server died under us: this write was never acknowledged
                if response.status_code == 200:
                    with lock:
                        acknowledged.add(marker)
                        if len(acknowledged) >= target:
                            enough.set()

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(6)]
    for thread in threads:
        thread.start()
    assert enough.wait(120), "the writers never reached their target"
    up.kill()  # SIGKILL while the writers are still writing
    for thread in threads:
        thread.join(30)
    return acknowledged


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql",
                                                             marks=pytest.mark.postgres)])
def test_sigkill_during_writes_loses_no_acknowledged_write(tmp_path, backend,
                                                           postgres_factory, monkeypatch):
    from sandbox import events

    # a shared (PostgreSQL) sandbox refuses the public persona password
    password = "mot-de-passe-du-crash"
    monkeypatch.setenv("SANTELAB_PERSONA_PASSWORD", password)
    data = tmp_path / "data"
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'crash.sqlite'}"
    else:
        url = postgres_factory(fsync=True).database()
    up = sandbox_up("--data-dir", str(data), "--db", url, "--tenant", "crash")
    acknowledged = _write_until_killed(up, "crash", target=300, password=password)
    # restart: the store opens, and every acknowledged write is there
    sandbox = Sandbox.open(Settings(db=url, data_dir=data))
    with sandbox.store.session() as session:
        stored = {e.detail["parametres"][0][1]
                  for e in events.stream(session, "crash", service="annuaire", limit=10**6)}
    sandbox.store.dispose()
    assert len(acknowledged) >= 300
    assert acknowledged <= stored
    if backend == "sqlite":
        import sqlite3

        connection = sqlite3.connect(Path(url.removeprefix("sqlite:///")))
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        connection.close()
    again = sandbox_up("--data-dir", str(data), "--db", url, "--tenant", "crash")
    try:
        assert "déjà peuplé" in again.banner
        assert persona_token(again.url, "medecin", "crash", password)
    finally:
        again.stop()
