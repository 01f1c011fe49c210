"""What a route needs, as typed dependencies: the sandbox, the actor, a service context."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from sandbox import events, policy
from sandbox.auth import Actor, read_token
from sandbox.errors import ServiceError
from sandbox.runtime import Sandbox


def get_sandbox(request: Request) -> Sandbox:
    return request.app.state.sandbox


SandboxDep = Annotated[Sandbox, Depends(get_sandbox)]


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def get_actor(request: Request, sandbox: SandboxDep) -> Actor:
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

    @property
    def tenant(self) -> str:
        return self.actor.tenant

    def now(self) -> datetime:
        return self.sandbox.clock.now()

    def event(self, action: str, *, target: str | None = None, patient: str | None = None,
              outcome: str = "success", detail: dict | None = None) -> events.Event:
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
                action, outcome="refused", detail={"raison": error.diagnostics}, **kwargs))
        return error

    def require(self, action: str, resource: dict | None = None, **trace: Any) -> None:
        """Ask the access matrix; a refusal is traced, then raised as a 403."""
        decision = policy.can(self.actor, action, resource)
        if not decision.allowed:
            raise self.refuse(action, ServiceError(403, decision.reason, code="forbidden"),
                              **trace)


def service_context(service: str) -> Callable[..., Iterator[ServiceContext]]:
    """A dependency giving routes of `service` their context, one transaction per request."""

    def dependency(sandbox: SandboxDep, actor: ActorDep) -> Iterator[ServiceContext]:
        with sandbox.store.session() as session:
            yield ServiceContext(service, sandbox, actor, session)

    return dependency
