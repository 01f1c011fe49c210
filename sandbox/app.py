"""Wiring only: one router per service, the shared error handlers and fault middleware."""

from __future__ import annotations

from fastapi import FastAPI

from sandbox import refusals
from sandbox.body_limit import BodyLimitMiddleware
from sandbox.deps import TransactionMiddleware
from sandbox.errors import install_error_handlers
from sandbox.faults import FaultBook, FaultMiddleware
from sandbox.fhir import document_errors
from sandbox.messaging.router import routers as mssante_routers
from sandbox.runtime import Sandbox
from sandbox.services.admin.router import router as admin_router
from sandbox.services.annuaire.router import router as annuaire_router
from sandbox.services.auth.router import router as auth_router
from sandbox.services.dmp.router import router as dmp_router
from sandbox.services.eprescription.router import router as eprescription_router
from sandbox.services.insi.router import router as insi_router
from synthetic_data.version import __version__

# Service name -> its routers. Fault injection and events use the service name.
SERVICE_ROUTERS = {
    "auth": [auth_router],
    "admin": [admin_router],
    "insi": [insi_router],
    "annuaire": [annuaire_router],
    "dmp": [dmp_router],
    "eprescription": [eprescription_router],
    "mssante": mssante_routers,
}

DESCRIPTION = """Services nationaux simulés du bac à sable **santelab** (données 100 % synthétiques).

Connectez-vous avec `POST /auth/token` (persona et mot de passe du bac à sable), puis envoyez
l'en-tête `Authorization: Bearer <jeton>`. Les erreurs sont des `OperationOutcome` FHIR en français.
"""


def _document_errors(app: FastAPI) -> None:
    """Every operation of the OpenAPI spec declares its French OperationOutcome errors."""
    build = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            document_errors(build())
        return app.openapi_schema

    app.openapi = openapi


def create_app(sandbox: Sandbox | None = None) -> FastAPI:
    sandbox = sandbox or Sandbox.open()
    app = FastAPI(title="santelab — bac à sable", version=__version__, description=DESCRIPTION)
    app.state.sandbox = sandbox
    app.state.faults = FaultBook(sandbox)
    prefixes: dict[str, str] = {}
    for service, routers in SERVICE_ROUTERS.items():
        for router in routers:
            app.include_router(router)
            prefixes[router.prefix] = service
    app.state.service_prefixes = prefixes
    install_error_handlers(app, on_refusal=refusals.trace)
    _document_errors(app)
    faultable = {p: s for p, s in prefixes.items() if s not in ("auth", "admin")}
    app.add_middleware(TransactionMiddleware)
    app.add_middleware(FaultMiddleware, prefixes=faultable, book=app.state.faults)
    app.add_middleware(BodyLimitMiddleware, limit=sandbox.settings.max_body_bytes)
    return app
