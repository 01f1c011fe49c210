"""Facilitator shapes (faults of a drill), shared by the router and the client (`s.admin`)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class FaultRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: Literal["indisponible", "lent", "erreur"]
    delay_ms: int = Field(0, ge=0, le=60_000, description="Latence ajoutée (mode lent)")
    status: Literal[500, 502, 503, 504] = 503
    message: str = Field("", max_length=512, description="Message affiché aux joueurs")
    duration_s: int | None = Field(None, ge=1, le=7 * 24 * 3600, description="Durée, sinon jusqu'au rétablissement")


class Fault(BaseModel):
    service: str
    mode: str
    delay_ms: int
    status: int
    message: str
    until: datetime | None

