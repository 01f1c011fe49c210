"""Faults injected into a tenant's services by a drill facilitator."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sandbox.store.base import Base, TenantMixin, UtcDateTime


class FaultRow(TenantMixin, Base):
    __tablename__ = "faults"

    service: Mapped[str] = mapped_column(String(32), primary_key=True)
    mode: Mapped[str] = mapped_column(String(16))  # indisponible | lent | erreur
    delay_ms: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[int] = mapped_column(Integer, default=503)
    message: Mapped[str] = mapped_column(String(512), default="")
    until: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
