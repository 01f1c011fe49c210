"""Per-tenant fault injection: a service made unavailable, slow or failing, then restored.

Faults live in the store (so every sandbox process sharing it obeys them) and are read through
a one-second cache per process, so checking them costs nothing on the hot path. The ASGI
middleware applies them before any route runs; the mail handler asks `active_fault` too.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import delete, select
from sqlalchemy.exc import OperationalError
from starlette.types import ASGIApp, Receive, Scope, Send

from sandbox.auth import read_token
from sandbox.errors import ServiceError, database_unavailable
from sandbox.faults_models import FaultRow
from sandbox.runtime import Sandbox

MODES = ("indisponible", "lent", "erreur")
_CACHE_SECONDS = 1.0
_LOOKUPS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="santelab-faults")


class FaultBook:
    """Reads and writes faults; caches each tenant's active faults for a second."""

    def __init__(self, sandbox: Sandbox):
        self.sandbox = sandbox
        self._cache: dict[str, tuple[float, dict[str, FaultRow]]] = {}

    def active(self, tenant: str) -> dict[str, FaultRow]:
        cached = self._cache.get(tenant)
        if cached and time.monotonic() - cached[0] < _CACHE_SECONDS:
            return cached[1]
        now = self.sandbox.clock.now()
        with self.sandbox.store.session() as session:
            rows = session.scalars(select(FaultRow).where(FaultRow.tenant == tenant)).all()
            faults = {r.service: r for r in rows if r.until is None or r.until > now}
        self._cache[tenant] = (time.monotonic(), faults)
        return faults

    async def active_async(self, tenant: str) -> dict[str, FaultRow]:
        """`active` for the event loop: a cache miss queries on a side thread, never on the
        loop (waiting there for a pooled connection would stall every request)."""
        cached = self._cache.get(tenant)
        if cached and time.monotonic() - cached[0] < _CACHE_SECONDS:
            return cached[1]
        return await asyncio.get_running_loop().run_in_executor(_LOOKUPS, self.active, tenant)

    def set(self, tenant: str, fault: FaultRow) -> None:
        with self.sandbox.store.session() as session:
            session.merge(fault)
        self._cache.pop(tenant, None)

    def forget(self, tenant: str) -> None:
        """Drop the tenant's cached faults: the next request reads the store (a drill engine
        in this process has just changed them)."""
        self._cache.pop(tenant, None)

    def clear(self, tenant: str, service: str | None = None) -> int:
        with self.sandbox.store.session() as session:
            query = delete(FaultRow).where(FaultRow.tenant == tenant)
            if service is not None:
                query = query.where(FaultRow.service == service)
            removed = session.execute(query).rowcount
        self._cache.pop(tenant, None)
        return removed


def fault_delay(fault: FaultRow) -> float:
    """Seconds a fault adds before the answer: only the "lent" mode slows a service down."""
    return fault.delay_ms / 1000 if fault.mode == "lent" else 0.0


def fault_error(fault: FaultRow, service: str) -> ServiceError | None:
    """The error a fault turns a request into (None for a slow-down only)."""
    if fault.mode == "indisponible":
        text = fault.message or f"Service {service} indisponible (panne simulée) : réessayez plus tard."
        return ServiceError(503, text, code="transient", headers={"Retry-After": "30"})
    if fault.mode == "erreur":
        text = fault.message or f"Service {service} en erreur (panne simulée)."
        return ServiceError(fault.status, text, code="exception")
    return None


class FaultMiddleware:
    """Applies a tenant's faults to the service a path belongs to (pure ASGI: no overhead)."""

    def __init__(self, app: ASGIApp, *, prefixes: dict[str, str], book: FaultBook):
        self.app = app
        self.prefixes = prefixes  # "/dmp" -> "dmp"
        self.book = book

    def _service(self, path: str) -> str | None:
        for prefix, service in self.prefixes.items():
            if path == prefix or path.startswith(prefix + "/"):
                return service
        return None

    def _tenant(self, scope: Scope) -> str | None:
        for name, value in scope.get("headers", ()):
            if name == b"authorization":
                scheme, _, token = value.decode("latin-1").partition(" ")
                if scheme.lower() != "bearer":
                    return None
                sandbox = self.book.sandbox
                try:
                    return read_token(token.strip(), secret=sandbox.settings.secret,
                                      now=sandbox.clock.now()).tenant
                except ServiceError:
                    return None
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        error = await self._error(scope) if scope["type"] == "http" else None
        if error is not None:
            await error.response()(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _error(self, scope: Scope) -> ServiceError | None:
        """What the tenant's fault on this path's service turns the request into, after its
        delay (None: let it through)."""
        service = self._service(scope["path"])
        tenant = self._tenant(scope) if service else None
        try:
            fault = (await self.book.active_async(tenant)).get(service) if tenant else None
        except OperationalError:
            return database_unavailable()
        if fault is None:
            return None
        delay = fault_delay(fault)
        if delay:
            await asyncio.sleep(delay)
        return fault_error(fault, service)


__all__ = ["MODES", "FaultBook", "FaultMiddleware", "fault_delay", "fault_error"]
