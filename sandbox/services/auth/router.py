"""Log in as a persona and get a bearer token (a Pro Santé Connect stand-in)."""

from __future__ import annotations

from fastapi import APIRouter

from sandbox.auth import authenticate, issue_token
from sandbox.classroom import admit
from sandbox.injection import ActorDep, SandboxDep
from sandbox.services.auth.schemas import Me, Token, TokenRequest

router = APIRouter(prefix="/auth", tags=["Authentification"])


@router.post("/token", response_model=Token, summary="Obtenir un jeton pour une persona")
def token(body: TokenRequest, sandbox: SandboxDep) -> Token:
    admit(sandbox, body.tenant, body.password)
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
