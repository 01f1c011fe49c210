"""Wiring only: the routers of the service registry, the shared error handlers and fault
middleware."""

from __future__ import annotations

from fastapi import FastAPI

from sandbox import refusals
from sandbox.body_limit import BodyLimitMiddleware
from sandbox.errors import install_error_handlers
from sandbox.faults import FaultBook, FaultMiddleware
from sandbox.fhir import document_errors
from sandbox.proxy_prefix import ProxyPrefixMiddleware
from sandbox.runtime import Sandbox
from sandbox.service_registry import SERVICES
from sandbox.transactions import TransactionMiddleware
from synthetic_data.version import __version__

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
    faultable: dict[str, str] = {}
    for service in SERVICES:
        for router in service.load_routers():
            app.include_router(router)
            prefixes[router.prefix] = service.name
            if service.faultable:
                faultable[router.prefix] = service.name
    app.state.service_prefixes = prefixes
    install_error_handlers(app, on_refusal=refusals.trace)
    _document_errors(app)
    app.add_middleware(TransactionMiddleware)
    app.add_middleware(FaultMiddleware, prefixes=faultable, book=app.state.faults)
    app.add_middleware(BodyLimitMiddleware, limit=sandbox.settings.max_body_bytes)
    app.add_middleware(ProxyPrefixMiddleware)
    return app
