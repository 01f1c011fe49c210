"""Sandbox test fixtures: a seeded store on SQLite AND PostgreSQL, served by a real uvicorn.

    def test_x(live, connect_as):           # runs twice: backend sqlite, then postgresql
        s = connect_as("medecin")           # sandbox.client over HTTP to the live server
        raw = live.http("medecin")          # plain httpx client with the persona's token

The population is small but rich in identity pitfalls (homonyms, twins) so that every INSi
outcome is reachable; two tenants are seeded to test isolation.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fixtures.personas import password_for
from fixtures.servers import LiveServer
from sandbox_helpers import OTHER_TENANT, TENANT

from sandbox.runtime import Sandbox
from sandbox.seeding import SeedPopulation, seed_tenant
from sandbox.settings import Settings

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def population() -> SeedPopulation:
    import synthetic_data
    from synthetic_data.identities import PitfallRates

    rates = PitfallRates(homonym=0.2, twin=0.1, provisional=0.05, year_only_birth_date=0.05)
    return SeedPopulation(synthetic_data.generate(n=120, seed=11, rates=rates, years=3))


def make_db_url(backend: str, request: pytest.FixtureRequest, folder: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{folder / 'sandbox.sqlite'}"
    return request.getfixturevalue("postgres_server").database()


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def seeded(backend, request, population, tmp_path_factory) -> Iterator[Sandbox]:
    """A store with two seeded tenants, on the module's backend."""
    folder = tmp_path_factory.mktemp(f"sandbox-{backend}")
    url = make_db_url(backend, request, folder)
    sandbox = Sandbox.open(Settings(db=url, data_dir=folder))
    seed_tenant(sandbox, TENANT, population)
    seed_tenant(sandbox, OTHER_TENANT, population)
    yield sandbox
    sandbox.store.dispose()


@pytest.fixture(scope="module")
def live(seeded) -> Iterator[LiveServer]:
    server = LiveServer(seeded, TENANT).start()
    yield server
    server.stop()


@pytest.fixture
def connect_as(live):
    from sandbox.client import connect

    def make(login: str, tenant: str = TENANT):
        return connect(login, url=live.url, tenant=tenant, password=password_for(login))

    return make
