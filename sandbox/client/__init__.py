"""Python client of the sandbox, for notebooks and tests.

    >>> from sandbox.client import connect
    >>> s = connect("medecin")                      # in-process unless SANTELAB_URL is set
    >>> s.insi.search(nom="Dupont", prenoms="Jean", sexe="M", date_naissance="1980-02-03")
    >>> s.annuaire.search(name="martin", profession="10", commune="Lyon")

Without a URL (argument or `SANTELAB_URL`), the client serves the sandbox app in-process on a
private copy of a seeded SQLite template (built once per seed and size under the data dir), so
every process starts from the same seeded state and notebooks need no server. Every persona of
the process shares that copy, so what "medecin" writes, "patient" reads.

Service clients (`s.insi`, `s.annuaire`, `s.dmp`, `s.eprescription`, `s.mssante`, `s.admin`)
are the `client` parts of the service registry (`sandbox.service_registry`), imported on first
use: `import sandbox.client` loads neither the app nor FastAPI nor SQLAlchemy.
"""

from __future__ import annotations

import os
from typing import Any

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
from sandbox.client.transport import Resource, Transport
from sandbox.service_registry import SERVICES, Service

DEFAULT_PASSWORD = "bac-a-sable"  # the local sandbox's public persona password (settings)
FACILITATOR = "facilitateur"


class ServiceClient:
    """`s.<service>`: the registry entry's client class, built with the connection on first use
    (then kept in the instance, which shadows this non-data descriptor)."""

    def __init__(self, service: Service):
        self.service = service

    def __get__(self, connection: Connection | None, owner: type) -> Any:
        if connection is None:
            return self
        client = self.service.load_client()(connection)
        connection.__dict__[self.service.name] = client
        return client


class Connection:
    """Une persona connectée à un bac à sable, ce que rend `connect()` ; les services sont ses
    attributs (`s.insi`, `s.dmp`, `s.mssante`…)."""

    def __init__(self, transport: Transport, *, persona: str, tenant: str, token: str,
                 role: str, local: Any = None):
        self.transport = transport
        self.persona = persona
        self.tenant = tenant
        self.token = token
        self.role = role
        self.local = local  # the in-process Sandbox (None over HTTP)

    def __repr__(self) -> str:
        return f"<Connection {self.persona} ({self.role}) @ {self.tenant}>"

    def me(self) -> dict:
        """Qui je suis pour le bac à sable : persona, rôle, bac à sable (tenant)."""
        return self.transport.json("GET", "/auth/me", token=self.token)


for _service in SERVICES:
    if _service.client:
        setattr(Connection, _service.name, ServiceClient(_service))
del _service


def _default_password(persona: str, local: Any) -> str:
    if persona == FACILITATOR:
        given = os.environ.get("SANTELAB_FACILITATOR_PASSWORD")
        return given or (local.settings.facilitator_password if local is not None else "")
    return os.environ.get("SANTELAB_PASSWORD") or DEFAULT_PASSWORD


def connect(persona: str = "medecin", *, url: str | None = None, tenant: str | None = None,
            password: str | None = None) -> Connection:
    """Se connecter au bac à sable en tant que `persona` (« medecin », « pharmacien »,
    « infirmier », « patient »…) ; rend la connexion, dont les services sont les attributs.

    `url` vaut par défaut `SANTELAB_URL` ; sans adresse, le bac à sable tourne dans le
    notebook même. `tenant` vaut par défaut `SANTELAB_TENANT` (sinon « demo »), `password`
    `SANTELAB_PASSWORD` (sinon le mot de passe public du bac à sable local) ; celui de
    l'animateur, `SANTELAB_FACILITATOR_PASSWORD` (sinon, en local, celui que ce bac à sable a
    généré).
    """
    url = url or os.environ.get("SANTELAB_URL") or None
    local = None
    if url:
        transport = Transport.http(url)
        tenant = tenant or os.environ.get("SANTELAB_TENANT") or "demo"
    else:
        from sandbox.in_process import local_sandbox  # the whole sandbox: only when needed

        local, transport, tenant = local_sandbox(tenant)
    password = password or _default_password(persona, local)
    body = transport.json("POST", "/auth/token",
                          json={"tenant": tenant, "login": persona, "password": password})
    return Connection(transport, persona=persona, tenant=tenant, token=body["access_token"],
                   role=body["role"], local=local)


__all__ = [
    "AccessDenied", "AuthenticationError", "Conflict", "Connection", "ConnectionFailed", "Gone",
    "InvalidRequest", "NotFound", "RateLimited", "Resource", "SandboxError", "ServerError",
    "ServiceUnavailable", "Transport", "connect",
]
