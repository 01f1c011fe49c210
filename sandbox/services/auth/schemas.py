"""Authentication request and answer shapes, shared by the router and the client."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenant: str = Field(min_length=1, max_length=64, description="Bac à sable (classe, établissement)")
    login: str = Field(min_length=1, max_length=128, description="Identifiant de la persona")
    password: str = Field(min_length=1, max_length=256)


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    role: str


class Me(BaseModel):
    tenant: str
    login: str
    role: str
    practitioner_id: str | None
    patient_id: str | None

