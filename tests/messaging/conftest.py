"""MSSanté test fixtures: a seeded tenant with its SMTP, IMAP and HTTP servers on loopback.

    def test_x(world):
        with world.smtp("medecin") as smtp:          # STARTTLS + AUTH done
            smtp.sendmail(world.address("medecin"), [world.address("pharmacien")], raw)
        with world.imap("pharmacien") as imap: ...    # STARTTLS + LOGIN, INBOX selected
"""

from __future__ import annotations

import threading
import time

import pytest
import uvicorn
from mss_helpers import OTHER_TENANT, TENANT, World

from sandbox import messaging
from sandbox.app import create_app
from sandbox.personas import default_personas_of
from sandbox.ports import free_port
from sandbox.runtime import Sandbox
from sandbox.seeding import SeedPopulation, seed_tenant
from sandbox.settings import Settings


@pytest.fixture(scope="session")
def world(tmp_path_factory) -> World:
    import synthetic_data

    folder = tmp_path_factory.mktemp("mssante")
    settings = Settings(data_dir=folder, db=f"sqlite:///{folder / 'sandbox.sqlite'}",
                        tenant=TENANT, patients=40, seed=7)
    sandbox = Sandbox.open(settings)
    population = SeedPopulation(synthetic_data.generate(n=40, seed=7, years=1))
    for tenant in (TENANT, OTHER_TENANT):
        seed_tenant(sandbox, tenant, population)
    servers = messaging.serve(sandbox, "127.0.0.1", 0, 0)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(sandbox), host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive(), "uvicorn did not start"
        time.sleep(0.02)
    addresses = {p.login: p.mailbox for p in default_personas_of(sandbox, TENANT)}
    yield World(sandbox, servers, f"http://127.0.0.1:{port}", addresses, folder)
    server.should_exit = True
    thread.join(10)
    servers.stop()
    sandbox.store.dispose()
