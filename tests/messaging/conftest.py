"""MSSanté test fixtures: a seeded tenant with its SMTP, IMAP and HTTP servers on loopback.

    def test_x(world):
        with world.smtp("medecin") as smtp:          # STARTTLS + AUTH done
            smtp.sendmail(world.address("medecin"), [world.address("pharmacien")], raw)
        with world.imap("pharmacien") as imap: ...    # STARTTLS + LOGIN, INBOX selected
        with world.web.http("facilitateur") as client: ...  # the HTTP API, logged in
"""

from __future__ import annotations

import pytest
from fixtures.servers import LiveServer
from mss_helpers import OTHER_TENANT, TENANT, World

from sandbox import messaging
from sandbox.personas import default_personas_of
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
    web = LiveServer(sandbox, TENANT).start()
    addresses = {p.login: p.mailbox for p in default_personas_of(sandbox, TENANT)}
    yield World(sandbox, servers, web, addresses, folder)
    web.stop()
    servers.stop()
    sandbox.store.dispose()
