"""The service registry: every entry resolves, nothing lives outside it, the app mounts it and
the client reads it without loading the server side."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

from fastapi import APIRouter

import sandbox
import sandbox.services
from sandbox.app import create_app
from sandbox.client.transport import Resource
from sandbox.runtime import Sandbox
from sandbox.service_registry import SERVICES, resolve, table_modules
from sandbox.settings import Settings


def test_every_part_of_every_entry_resolves():
    assert len({s.name for s in SERVICES}) == len(SERVICES)
    for service in SERVICES:
        for router in service.load_routers():
            assert isinstance(router, APIRouter) and router.prefix.startswith("/")
        for module in service.tables:
            assert importlib.import_module(module).__name__ == module
        if service.seeder:
            assert callable(resolve(service.seeder))
        if service.client:
            assert issubclass(service.load_client(), Resource)


def test_every_service_package_and_table_module_is_registered():
    """A new service folder or table module outside the registry fails here, not at runtime
    (a table nobody imports would be missing from a fresh database)."""
    packages = {info.name for info in pkgutil.iter_modules(sandbox.services.__path__)
                if info.ispkg}
    assert packages <= {s.name for s in SERVICES}
    declared = {info.name for info in pkgutil.walk_packages(sandbox.__path__, "sandbox.")
                if info.name.endswith((".models", "_models"))}
    assert declared == set(table_modules())


def test_the_app_mounts_the_registry_in_order(tmp_path):
    opened = Sandbox.open(Settings(db=f"sqlite:///{tmp_path / 'app.sqlite'}", data_dir=tmp_path))
    app = create_app(opened)
    opened.store.dispose()
    routers = [resolve(path) for service in SERVICES for path in service.routers]
    expected = {resolve(path).prefix: service.name
                for service in SERVICES for path in service.routers}
    assert list(app.state.service_prefixes.items()) == list(expected.items())
    in_spec = list(dict.fromkeys("/" + path.split("/")[1] for path in app.openapi()["paths"]))
    assert in_spec == [router.prefix for router in routers if router.include_in_schema]


def test_importing_the_client_loads_no_server_side():
    code = ("import sys, sandbox.client; "
            "print(sorted(m for m in ('fastapi', 'sqlalchemy', 'sandbox.app', 'sandbox.store', "
            "'sandbox.services') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout.strip()
    assert loaded == "[]"
