"""Refusals no route traced itself (a 400 of validation, an unknown document…), traced anyway.

Routes trace the refusals they decide (`ServiceContext.refuse`, which marks the error); the
error handlers call `trace` for every other 4xx of an authenticated request, so every access
is in the stream, refused ones included. Anonymous requests cannot be attributed to a tenant
and are not traced (their failed logins are: sandbox/login_throttle.py).
"""

from __future__ import annotations

import asyncio

from fastapi import Request

from sandbox import events
from sandbox.auth import read_token
from sandbox.errors import ServiceError, log
from sandbox.vocabulary import REFUSED, REQUEST_REFUSED

TRACED = "santelab_traced"  # attribute set on an error its route has already traced


def mark_traced(error: Exception) -> Exception:
    setattr(error, TRACED, True)
    return error


def _service(request: Request) -> str:
    path = request.url.path
    for prefix, service in getattr(request.app.state, "service_prefixes", {}).items():
        if path == prefix or path.startswith(prefix + "/"):
            return service
    return "http"


async def trace(request: Request, error: Exception, status: int, diagnostics: str) -> None:
    """Trace a refused request unless its route did, off the event loop; never fails."""
    if getattr(error, TRACED, False) or status == 401 or not 400 <= status < 500:
        return
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return
    sandbox = request.app.state.sandbox
    try:
        actor = read_token(token.strip(), secret=sandbox.settings.secret, now=sandbox.clock.now())
    except ServiceError:
        return
    service = _service(request)
    event = events.Event(
        tenant=actor.tenant, at=sandbox.clock.now(), service=service,
        action=f"{service}.{REQUEST_REFUSED}", persona=actor.login, role=actor.role,
        target=request.url.path[:256], patient=None, outcome=REFUSED,
        detail={"statut": status, "methode": request.method, "raison": diagnostics[:1000]})

    def write() -> None:
        with sandbox.store.session() as session:
            events.record(session, event)

    try:
        await asyncio.get_running_loop().run_in_executor(None, write)
    except Exception:  # the refusal is answered even if the store cannot take its trace
        log.exception("could not trace a refused request")
