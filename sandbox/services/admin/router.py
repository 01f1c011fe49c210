"""Facilitator endpoints for drills: inject and clear faults, read the event stream."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Query, Request

from sandbox import events
from sandbox.errors import ServiceError
from sandbox.faults import FaultBook
from sandbox.faults_models import FaultRow
from sandbox.injection import ServiceContext, service_context
from sandbox.service_router import ServiceRouter
from sandbox.services.admin.schemas import Fault, FaultRequest

router = ServiceRouter(prefix="/admin", tags=["Animation d'exercice"])
Ctx = Annotated[ServiceContext, Depends(service_context("admin"))]


async def fault_book(request: Request) -> FaultBook:  # async: no worker-thread hop
    return request.app.state.faults


Book = Annotated[FaultBook, Depends(fault_book)]


def _known_service(request: Request, service: str) -> str:
    services = sorted(set(request.app.state.service_prefixes.values()))
    if service not in services:
        raise ServiceError(404, f"Service inconnu : « {service} ». Services : {', '.join(services)}.")
    return service


@router.get("/faults", response_model=list[Fault], summary="Pannes actives du bac à sable")
def list_faults(ctx: Ctx, book: Book) -> list[Fault]:
    ctx.require("admin.faults")
    return [Fault(service=s, mode=f.mode, delay_ms=f.delay_ms, status=f.status,
                  message=f.message, until=f.until) for s, f in book.active(ctx.tenant).items()]


@router.put("/faults/{service}", response_model=Fault, summary="Injecter une panne")
def set_fault(service: str, body: FaultRequest, ctx: Ctx, book: Book, request: Request) -> Fault:
    ctx.require("admin.faults", target=f"service/{service}")
    _known_service(request, service)
    until = ctx.now() + timedelta(seconds=body.duration_s) if body.duration_s else None
    book.set(ctx.tenant, FaultRow(tenant=ctx.tenant, service=service, mode=body.mode,
                                  delay_ms=body.delay_ms, status=body.status,
                                  message=body.message, until=until))
    ctx.record("admin.fault.set", target=f"service/{service}", detail=body.model_dump())
    return Fault(service=service, mode=body.mode, delay_ms=body.delay_ms, status=body.status,
                 message=body.message, until=until)


@router.delete("/faults/{service}", status_code=204, summary="Rétablir un service")
def clear_fault(service: str, ctx: Ctx, book: Book, request: Request) -> None:
    ctx.require("admin.faults", target=f"service/{service}")
    _known_service(request, service)
    book.clear(ctx.tenant, service)
    ctx.record("admin.fault.clear", target=f"service/{service}")


@router.get("/events", summary="Flux d'événements du bac à sable")
def list_events(ctx: Ctx, service: str | None = None, patient: str | None = None,
                action: Annotated[str | None, Query(max_length=64)] = None,
                limit: Annotated[int, Query(ge=1, le=10_000)] = 1000) -> list[events.StoredEvent]:
    ctx.require("admin.events")
    return events.stream(ctx.session, ctx.tenant, service=service, patient=patient,
                         action=action, limit=limit)
