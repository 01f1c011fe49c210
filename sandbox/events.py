"""One event stream for every service action: the audit trail, and what drills observe.

Each event says who (tenant, persona, role) did what (service, action) to what (target,
patient), when (from the injected clock) and how it ended (outcome). Recording happens in the
caller's transaction, so an action and its trace commit or roll back together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import event as sa_event
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from sandbox.events_models import EventRow


@dataclass(frozen=True, slots=True)
class Event:
    tenant: str
    at: datetime
    service: str
    action: str
    persona: str | None
    role: str | None
    target: str | None
    patient: str | None
    outcome: str
    detail: dict


@dataclass(frozen=True, slots=True)
class StoredEvent(Event):
    """An event read back from the stream, with its place in it (`seq` only increases)."""

    seq: int


def record(session: Session, event: Event) -> None:
    """Trace `event` in the session's transaction: written just before it commits, dropped
    if it rolls back.

    Deferred to the commit, and then one Core INSERT for all of a transaction's events: every
    request records at least one, and on SQLite the first write takes the file's writer lock
    (see store/sqlite_writer.py); taking it only at the commit keeps it for microseconds
    instead of for the rest of the route (measured: benchmarks/services.py).
    """
    session.info.setdefault(_PENDING, []).append(event)


_PENDING = "santelab.events"


@sa_event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending:
        session.execute(insert(EventRow.__table__), [_columns(e) for e in pending])


@sa_event.listens_for(Session, "after_transaction_end")
def _drop_pending(session: Session, transaction) -> None:
    if transaction.parent is None:  # the outer transaction ended without commit: forget them
        session.info.pop(_PENDING, None)


def _columns(event: Event) -> dict:
    return {field: getattr(event, field) for field in Event.__slots__}


def stream(
    session: Session,
    tenant: str,
    *,
    patient: str | None = None,
    service: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    limit: int = 1000,
) -> list[StoredEvent]:
    """Events of one tenant, oldest first, optionally about one patient, one service or one
    action (a code such as "dmp.document.read", or a prefix ending with a dot: "dmp.")."""
    query = select(EventRow).where(EventRow.tenant == tenant)
    if patient is not None:
        query = query.where(EventRow.patient == patient)
    if service is not None:
        query = query.where(EventRow.service == service)
    if action is not None:
        query = query.where(EventRow.action.startswith(action, autoescape=True)
                            if action.endswith(".") else EventRow.action == action)
    if since is not None:
        query = query.where(EventRow.at >= since)
    rows = session.scalars(query.order_by(EventRow.seq).limit(limit))
    return [StoredEvent(**{name: getattr(row, name) for name in _STORED}) for row in rows]


_STORED = (*Event.__slots__, *StoredEvent.__slots__)
