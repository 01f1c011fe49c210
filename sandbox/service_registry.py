"""The sandbox's services, in order: the one list that the app, the store, the seeder and the
client read. Adding a service (the hospital record system, the drills) is one entry here.

Each part of an entry is named by a dotted path ("module:attribute"; a table module by its
module name) and imported only when asked for. That keeps this module light: the Python
client reads it to know which `s.<service>` exist without importing FastAPI, SQLAlchemy or the
store, and a student's `import sandbox.client` stays fast. `tests/sandbox/test_service_registry.py`
resolves every path, so a typo fails the tests rather than a notebook.

The order is the order of everything: routers in the app (and the OpenAPI spec), seeders in a
tenant's one seeding transaction.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

# Tables of the mechanisms every service shares: personas and tokens, the deployment's secrets,
# the event stream, faults.
SHARED_TABLES = ("sandbox.auth_models", "sandbox.deployment_models", "sandbox.events_models",
                 "sandbox.faults_models")


def resolve(path: str) -> Any:
    """The object named by "package.module:attribute"."""
    module, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module), attribute)


@dataclass(frozen=True, slots=True)
class Service:
    """One service: where its routers, tables, seeder and client live.

    `name` is what fault injection, events and `s.<name>` use. `seeder` is a function
    `seed(session, tenant, population)` run inside the tenant's seeding transaction; `client`
    a `transport.Resource` subclass built with the persona's connection. `faultable` is False
    for the mechanisms a drill must keep working (logging in, the facilitator's console).
    """

    name: str
    routers: tuple[str, ...] = ()
    tables: tuple[str, ...] = ()
    seeder: str | None = None
    client: str | None = None
    faultable: bool = True

    def load_routers(self) -> list:
        return [resolve(path) for path in self.routers]

    def load_client(self) -> type:
        return resolve(self.client)


SERVICES = (
    Service("auth", routers=("sandbox.services.auth.router:router",), faultable=False),
    Service("admin", routers=("sandbox.services.admin.router:router",),
            client="sandbox.client.admin:Admin", faultable=False),
    Service("annuaire", routers=("sandbox.services.annuaire.router:router",),
            tables=("sandbox.services.annuaire.models",),
            seeder="sandbox.services.annuaire.seed:seed",
            client="sandbox.client.annuaire:Annuaire"),
    Service("insi", routers=("sandbox.services.insi.router:router",),
            tables=("sandbox.services.insi.models",), seeder="sandbox.services.insi.seed:seed",
            client="sandbox.client.insi:Insi"),
    Service("dmp", routers=("sandbox.services.dmp.router:router",),
            tables=("sandbox.services.dmp.models",), seeder="sandbox.services.dmp.seed:seed",
            client="sandbox.client.dmp:DMP"),
    Service("eprescription", routers=("sandbox.services.eprescription.router:router",),
            tables=("sandbox.services.eprescription.models",),
            client="sandbox.client.eprescription:EPrescription"),
    Service("mssante", routers=("sandbox.messaging.router:router",
                                "sandbox.messaging.router:landing"),
            tables=("sandbox.messaging.models",), seeder="sandbox.messaging.seed:seed",
            client="sandbox.client.mssante:Mssante"),
    Service("dpi", routers=("sandbox.services.dpi.router:router",),
            tables=("sandbox.services.dpi.models",), seeder="sandbox.services.dpi.seed:seed",
            client="sandbox.client.dpi:Dpi"),
    Service("drill", routers=("sandbox.drills.router:router", "sandbox.drills.console:pages"),
            tables=("sandbox.drills.models",), client="sandbox.client.drill:Drill",
            faultable=False),
)


def table_modules() -> tuple[str, ...]:
    """Every module that declares tables: the shared ones, then each service's."""
    return SHARED_TABLES + tuple(m for service in SERVICES for m in service.tables)
