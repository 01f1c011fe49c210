"""What a route is given, as typed FastAPI dependencies: the sandbox, the actor, a service context."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from sandbox import events, policy
from sandbox.auth import Actor, read_token
from sandbox.classroom import TENANT_HEADER, check_tenant
from sandbox.errors import ServiceError
from sandbox.refusals import mark_traced
from sandbox.runtime import Sandbox
from sandbox.transactions import RequestTransaction, request_transaction
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
    actor = read_token(token, secret=sandbox.settings.secret, now=sandbox.clock.now())
    check_tenant(request.headers.get(TENANT_HEADER), actor.tenant)
    return actor


ActorDep = Annotated[Actor, Depends(get_actor)]


@dataclass
class ServiceContext:
    """One request of one service: the actor, its transaction, the clock and the audit trail."""

    service: str
    sandbox: Sandbox
    actor: Actor
    transaction: RequestTransaction  # settled by the commit path (see sandbox/transactions.py)

    @property
    def session(self) -> Session:
        return self.transaction.session

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

    def record_at_once(self, action: str, **kwargs: Any) -> None:
        """Trace an action in a transaction of its own, committed now: kept whatever becomes of
        the request. Before the request's first flush only (on SQLite the request would hold
        the writer lock this transaction waits for)."""
        with self.sandbox.store.session() as session:
            events.record(session, self.event(action, **kwargs))

    def refuse(self, action: str, error: ServiceError, **kwargs: Any) -> ServiceError:
        """Roll back the request's writes, trace the refusal at once, and return the error to
        raise (the third way a request's transaction ends, see sandbox/transactions.py)."""
        self.transaction.abandon()
        self.record_at_once(action, outcome=REFUSED, detail={"raison": error.diagnostics},
                            **kwargs)
        return mark_traced(error)

    def require(self, action: str, resource: dict | None = None, **trace: Any) -> None:
        """Ask the access matrix; a refusal is traced, then raised as a 403."""
        decision = policy.can(self.actor, action, resource)
        if not decision.allowed:
            raise self.refuse(action, ServiceError(403, decision.reason, code="forbidden"),
                              **trace)


def service_context(service: str, *,
                    autoflush: bool = True) -> Callable[..., AsyncIterator[ServiceContext]]:
    """A dependency giving routes of `service` their context, one transaction per request,
    which ends by the commit path of sandbox/transactions.py.

    `autoflush=False` for services whose routes trace something at once (`record_at_once`)
    after adding rows: a flush would take the SQLite writer lock that the trace then waits for.
    """

    async def dependency(request: Request) -> AsyncIterator[ServiceContext]:
        # The sandbox and actor read here, not as sub-dependencies: FastAPI's resolution of
        # each cost as much as reading it, on every request of every service.
        sandbox = await get_sandbox(request)
        actor = await get_actor(request, sandbox)
        async with request_transaction(request, sandbox.store, autoflush=autoflush) as tx:
            yield ServiceContext(service, sandbox, actor, tx)

    return dependency
