"""A drill's state as it happens: the run and each of its steps (injects, expectations).

A step row is written when it is scheduled and changed once when it happens, by a conditional
UPDATE: whoever changes it first wins, so an inject never fires twice, even across a crash.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sandbox.store.base import Base, JsonType, TenantMixin, UtcDateTime


class DrillRunRow(TenantMixin, Base):
    __tablename__ = "drill_runs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    scenario: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16))
    seed: Mapped[int] = mapped_column(Integer)
    speed: Mapped[float] = mapped_column(Float)
    state: Mapped[str] = mapped_column(String(16))  # en_cours | en_pause | terminé
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    paused_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    paused_s: Mapped[float] = mapped_column(Float, default=0.0)  # wall seconds spent paused
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    document: Mapped[dict] = mapped_column(JsonType)  # the scenario as played


class DrillStepRow(TenantMixin, Base):
    __tablename__ = "drill_steps"
    __table_args__ = (Index("ix_drill_steps_due", "state", "due_at"),)

    run: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # inject | attente
    due_s: Mapped[float] = mapped_column(Float)  # scenario seconds: when due, or the deadline
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)  # the same on the clock
    state: Mapped[str] = mapped_column(String(16))  # prévu/envoyé | attendue/atteinte/manquée/validée
    done_s: Mapped[float | None] = mapped_column(Float, default=None)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    score: Mapped[int] = mapped_column(Integer, default=0)
    comment: Mapped[str] = mapped_column(Text, default="")
