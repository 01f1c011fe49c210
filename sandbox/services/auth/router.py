"""Log in as a persona and get a bearer token (a Pro Santé Connect stand-in)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from sandbox.auth import authenticate, issue_token
from sandbox.injection import ActorDep, SandboxDep

router = APIRouter(prefix="/auth", tags=["Authentification"])


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


@router.post("/token", response_model=Token, summary="Obtenir un jeton pour une persona")
def token(body: TokenRequest, sandbox: SandboxDep) -> Token:
    with sandbox.store.session() as session:
        actor = authenticate(session, body.tenant, body.login, body.password)
    ttl = sandbox.settings.token_ttl_seconds
    value = issue_token(actor, secret=sandbox.settings.secret, now=sandbox.clock.now(),
                        ttl_seconds=ttl)
    return Token(access_token=value, expires_in=ttl, role=actor.role)


@router.get("/me", response_model=Me, summary="Qui suis-je ?")
def me(actor: ActorDep) -> Me:
    return Me(tenant=actor.tenant, login=actor.login, role=actor.role,
              practitioner_id=actor.practitioner_id, patient_id=actor.patient_id)
