"""What a route needs, as typed dependencies: the sandbox, the actor, a service context."""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from sandbox import events, policy
from sandbox.auth import Actor, read_token
from sandbox.errors import ServiceError, log
from sandbox.refusals import mark_traced
from sandbox.runtime import Sandbox
from sandbox.vocabulary import REFUSED, SUCCESS


async def get_sandbox(request: Request) -> Sandbox:  # async: no worker-thread hop
    return request.app.state.sandbox


SandboxDep = Annotated[Sandbox, Depends(get_sandbox)]


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def get_actor(request: Request, sandbox: SandboxDep) -> Actor:  # CPU only: HMAC
    token = bearer_token(request)
    if token is None:
        raise ServiceError(
            401,
            "Authentification requise : obtenez un jeton avec POST /auth/token puis envoyez "
            "l'en-tête « Authorization: Bearer <jeton> ».",
            code="login", headers={"WWW-Authenticate": "Bearer"},
        )
    return read_token(token, secret=sandbox.settings.secret, now=sandbox.clock.now())


ActorDep = Annotated[Actor, Depends(get_actor)]


@dataclass
class ServiceContext:
    """One request of one service: the actor, its transaction, the clock and the audit trail."""

    service: str
    sandbox: Sandbox
    actor: Actor
    session: Session
    pending: list[Session] | None = None  # the middleware's transactions (see service_context)

    @property
    def tenant(self) -> str:
        return self.actor.tenant

    def now(self) -> datetime:
        return self.sandbox.clock.now()

    def event(self, action: str, *, target: str | None = None, patient: str | None = None,
              outcome: str = SUCCESS, detail: dict | None = None) -> events.Event:
        return events.Event(
            tenant=self.tenant, at=self.now(), service=self.service, action=action,
            persona=self.actor.login, role=self.actor.role, target=target, patient=patient,
            outcome=outcome, detail=detail or {},
        )

    def record(self, action: str, **kwargs: Any) -> None:
        """Trace an action in the request's transaction (it commits with the action)."""
        events.record(self.session, self.event(action, **kwargs))

    def refuse(self, action: str, error: ServiceError, **kwargs: Any) -> ServiceError:
        """Trace a refusal in its own transaction (the request's will roll back) and return it."""
        with self.sandbox.store.session() as session:
            events.record(session, self.event(
                action, outcome=REFUSED, detail={"raison": error.diagnostics}, **kwargs))
        return mark_traced(error)

    def settle_here(self, ok: bool) -> None:
        """Commit (or roll back) and close the request's transaction on the calling thread.

        Called by `committing` on the route's worker thread, before the response exists: the
        middleware then has nothing left to settle, which spares each request a second hop to
        a commit thread. A failed commit becomes the same 503 as in the middleware.
        """
        pending = self.pending
        if pending is None or self.session not in pending:
            return
        pending.remove(self.session)
        try:
            _settle([self.session], ok)
        except Exception as exc:
            log.exception("commit failed")
            raise commit_failed() from exc

    def require(self, action: str, resource: dict | None = None, **trace: Any) -> None:
        """Ask the access matrix; a refusal is traced, then raised as a 403."""
        decision = policy.can(self.actor, action, resource)
        if not decision.allowed:
            raise self.refuse(action, ServiceError(403, decision.reason, code="forbidden"),
                              **trace)


def service_context(service: str, *,
                    autoflush: bool = True) -> Callable[..., AsyncIterator[ServiceContext]]:
    """A dependency giving routes of `service` their context, one transaction per request.

    The transaction is committed before any byte of the response is sent, so a client never
    sees a success that is not durable; an error rolls it back. A `ServiceRouter` route settles
    it on its own thread as it returns (`committing`); whatever is left (an exception, a route
    registered elsewhere) `TransactionMiddleware` settles when the response starts. (FastAPI
    itself runs a yield dependency's exit after the response is sent, too late for that.)

    `autoflush=False` for services whose routes trace a refusal in its own transaction after
    adding rows: a flush would take the SQLite write lock that the refusal then waits for.
    """

    async def dependency(request: Request, sandbox: SandboxDep,
                         actor: ActorDep) -> AsyncIterator[ServiceContext]:
        # async: no worker-thread hop; opening a session does no I/O (connections are lazy)
        session = sandbox.store.begin()
        session.autoflush = autoflush
        pending = request.scope.get(PENDING_KEY)
        if pending is None:  # app without the middleware: commit at exit, as a plain session
            try:
                yield ServiceContext(service, sandbox, actor, session)
                session.commit()
            finally:
                session.close()
            return
        pending.append(session)
        try:
            yield ServiceContext(service, sandbox, actor, session, pending)
        finally:
            if session in pending:  # the middleware has not settled it (no response yet)
                pending.remove(session)
                session.close()

    return dependency


PENDING_KEY = "santelab.transactions"


# Requests inside the app at once; the others wait here, on the event loop, at no cost. More
# than the pooled connections and anyio's 40 worker threads would deadlock under load (seen
# with 200 clients); and with one GIL, more than a few route threads only fight over it: 32
# admitted gave 25-40 % less throughput than 4 at 50 clients (benchmarks/services.py).
MAX_CONCURRENT_REQUESTS = 4


class TransactionMiddleware:
    """Commits the request's transactions when the response starts, before it is sent."""

    def __init__(self, app, max_concurrent: int = MAX_CONCURRENT_REQUESTS):
        self.app = app
        self.slots = asyncio.Semaphore(max_concurrent)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        pending: list[Session] = []
        scope[PENDING_KEY] = pending
        failed = False

        async def settle_then_send(message) -> None:
            nonlocal failed
            if failed:
                return  # the original response is replaced by the 503 already sent
            if message["type"] == "http.response.start" and pending:
                sessions = list(pending)
                pending.clear()
                ok = message["status"] < 400
                try:
                    await _in_commit_thread(_settle, sessions, ok)
                except Exception:
                    log.exception("commit failed")
                    failed = True
                    await commit_failed().response()(scope, receive, send)
                    return
            await send(message)

        async with self.slots:
            try:
                await self.app(scope, receive, settle_then_send)
            finally:
                if pending:
                    await _in_commit_thread(_settle, list(pending), False)
                    pending.clear()


def commit_failed() -> ServiceError:
    return ServiceError(503, "Écriture impossible dans la base du bac à sable : rien n'a été "
                             "enregistré ; réessayez.", code="transient")


def committing(endpoint: Callable) -> Callable:
    """Wrap a sync route so that its service transaction settles on the route's own thread.

    The route returned, so its response will be a success unless it is a Response object
    carrying an error status: commit (else roll back) before FastAPI serialises it. An
    exception leaves the transaction to the middleware, which rolls it back.
    """
    if inspect.iscoroutinefunction(endpoint):
        return endpoint

    @functools.wraps(endpoint)
    def run(*args: Any, **kwargs: Any) -> Any:
        result = endpoint(*args, **kwargs)
        ok = getattr(result, "status_code", 200) < 400
        for value in kwargs.values():
            if isinstance(value, ServiceContext):
                value.settle_here(ok)
        return result

    return run


class ServiceRouter(APIRouter):
    """The router of a service: its sync routes commit on their own thread (`committing`)."""

    def add_api_route(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().add_api_route(path, committing(endpoint), **kwargs)


# Commits run on their own threads, not on anyio's (shared with the sync routes): a route
# thread may be waiting for a pooled connection that only a commit will give back.
_COMMITS = ThreadPoolExecutor(max_workers=8, thread_name_prefix="santelab-commit")


async def _in_commit_thread(function, *args) -> None:
    await asyncio.get_running_loop().run_in_executor(_COMMITS, function, *args)


def _settle(sessions: list[Session], commit: bool) -> None:
    try:
        for session in sessions:
            if commit:
                session.commit()
            else:
                session.rollback()
    finally:
        for session in sessions:
            session.close()
