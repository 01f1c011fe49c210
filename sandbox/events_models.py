"""The event table: every service action, one row, one stream (and the audit trail)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sandbox.store.base import Base, JsonType, UtcDateTime


class EventRow(Base):
    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_tenant_time", "tenant", "at"),
        Index("ix_events_tenant_patient", "tenant", "patient"),
    )

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    service: Mapped[str] = mapped_column(String(32))  # insi, dmp, annuaire, erx, mssante, admin
    action: Mapped[str] = mapped_column(String(64))  # e.g. "dmp.document.read"
    persona: Mapped[str | None] = mapped_column(String(128))  # login of the actor
    role: Mapped[str | None] = mapped_column(String(32))
    target: Mapped[str | None] = mapped_column(String(256))  # e.g. "DocumentReference/doc-1"
    patient: Mapped[str | None] = mapped_column(String(64))  # patient id the action concerns
    outcome: Mapped[str] = mapped_column(String(16))  # "success", "refused", "error"
    detail: Mapped[dict] = mapped_column(JsonType, default=dict)
