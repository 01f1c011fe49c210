"""Python client of the sandbox, for notebooks and tests.

    >>> from sandbox.client import connect
    >>> s = connect("medecin")                      # in-process unless SANTELAB_URL is set
    >>> s.insi.search(nom="Dupont", prenoms="Jean", sexe="M", date_naissance="1980-02-03")
    >>> s.annuaire.search(name="martin", profession="10", commune="Lyon")

Without a URL (argument or `SANTELAB_URL`), the client serves the sandbox app in-process on a
private copy of a seeded SQLite template (built once per seed and size under the data dir), so
every process starts from the same seeded state and notebooks need no server. Every persona of
the process shares that copy, so what "medecin" writes, "patient" reads.

Service clients: `s.insi`, `s.annuaire`, `s.admin` here; `s.dmp`, `s.eprescription`,
`s.mssante` come from `sandbox.client.<name>` (a `transport.Resource` subclass), loaded lazily.
"""

from __future__ import annotations

import atexit
import importlib
import inspect
import os
import shutil
import tempfile
import threading
from functools import cached_property
from pathlib import Path
from typing import Any

from sandbox.client.admin import Admin
from sandbox.client.annuaire import Annuaire
from sandbox.client.errors import (
    AccessDenied,
    AuthenticationError,
    Conflict,
    ConnectionFailed,
    Gone,
    InvalidRequest,
    NotFound,
    RateLimited,
    SandboxError,
    ServerError,
    ServiceUnavailable,
)
from sandbox.client.insi import Insi
from sandbox.client.transport import Resource, Transport

DEFAULT_PASSWORD = "bac-a-sable"  # the local sandbox's public persona password (settings)
FACILITATOR = "facilitateur"
LAZY_SERVICES = {"dmp": "sandbox.client.dmp", "eprescription": "sandbox.client.eprescription",
                 "mssante": "sandbox.client.mssante"}


class Session:
    """One persona logged in to one sandbox tenant; service clients hang off it."""

    def __init__(self, transport: Transport, *, persona: str, tenant: str, token: str,
                 role: str, local: Any = None):
        self.transport = transport
        self.persona = persona
        self.tenant = tenant
        self.token = token
        self.role = role
        self.local = local  # the in-process Sandbox (None over HTTP)

    def __repr__(self) -> str:
        return f"<Session {self.persona} ({self.role}) @ {self.tenant}>"

    @cached_property
    def insi(self) -> Insi:
        return Insi(self)

    @cached_property
    def annuaire(self) -> Annuaire:
        return Annuaire(self)

    @cached_property
    def admin(self) -> Admin:
        return Admin(self)

    def me(self) -> dict:
        return self.transport.json("GET", "/auth/me", token=self.token)

    def __getattr__(self, name: str) -> Any:
        module_name = LAZY_SERVICES.get(name)
        if module_name is None:
            raise AttributeError(name)
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            raise SandboxError(f"Le client du service « {name} » n'est pas disponible dans "
                               "cette version du bac à sable.") from None
        classes = [c for _, c in inspect.getmembers(module, inspect.isclass)
                   if issubclass(c, Resource) and c.__module__ == module.__name__]
        if not classes:
            raise SandboxError(f"Le client du service « {name} » est incomplet.")
        client = classes[0](self)
        self.__dict__[name] = client  # cached: the next access skips __getattr__
        return client


# --- the in-process sandbox (one per process and settings) ----------------------------------

_LOCAL: dict[tuple, tuple[Any, Transport]] = {}
_LOCK = threading.Lock()


def _local_sandbox(tenant: str | None) -> tuple[Any, Transport, str]:
    from sandbox.app import create_app
    from sandbox.runtime import Sandbox
    from sandbox.seed import copy_template, ensure_seeded
    from sandbox.settings import Settings

    settings = Settings()
    tenant = tenant or settings.tenant
    key = (settings.seed, settings.patients, str(settings.data_dir), tenant)
    with _LOCK:
        if key not in _LOCAL:
            folder = Path(tempfile.mkdtemp(prefix="santelab-local-"))
            atexit.register(shutil.rmtree, folder, ignore_errors=True)
            db = folder / "sandbox.sqlite"
            copy_template(settings, tenant, db)
            sandbox = Sandbox.open(settings.model_copy(update={"db": f"sqlite:///{db}"}))
            ensure_seeded(sandbox, tenant)
            _LOCAL[key] = (sandbox, Transport.in_process(create_app(sandbox)))
        sandbox, transport = _LOCAL[key]
    return sandbox, transport, tenant


def _default_password(persona: str, local: Any) -> str:
    if persona == FACILITATOR:
        given = os.environ.get("SANTELAB_FACILITATOR_PASSWORD")
        return given or (local.settings.facilitator_password if local is not None else "")
    return os.environ.get("SANTELAB_PASSWORD") or DEFAULT_PASSWORD


def connect(persona: str = "medecin", *, url: str | None = None, tenant: str | None = None,
            password: str | None = None) -> Session:
    """Log in as `persona` and return a Session.

    `url` defaults to `SANTELAB_URL`; without one the sandbox runs in-process. `tenant`
    defaults to `SANTELAB_TENANT` (else "demo"), `password` to `SANTELAB_PASSWORD` (else the
    local sandbox's public persona password); the facilitator's to
    `SANTELAB_FACILITATOR_PASSWORD` (else, in-process, the one this sandbox generated).
    """
    url = url or os.environ.get("SANTELAB_URL") or None
    local = None
    if url:
        transport = Transport.http(url)
        tenant = tenant or os.environ.get("SANTELAB_TENANT") or "demo"
    else:
        local, transport, tenant = _local_sandbox(tenant)
    password = password or _default_password(persona, local)
    body = transport.json("POST", "/auth/token",
                          json={"tenant": tenant, "login": persona, "password": password})
    return Session(transport, persona=persona, tenant=tenant, token=body["access_token"],
                   role=body["role"], local=local)


__all__ = [
    "AccessDenied", "AuthenticationError", "Conflict", "ConnectionFailed", "Gone",
    "InvalidRequest", "NotFound", "RateLimited", "Resource", "SandboxError", "ServerError",
    "ServiceUnavailable", "Session", "Transport", "connect",
]
