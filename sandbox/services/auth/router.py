"""Log in as a persona and get a bearer token (a Pro Santé Connect stand-in)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from sandbox.auth import issue_token, verify
from sandbox.classroom import admit
from sandbox.errors import ServiceError
from sandbox.injection import ActorDep, SandboxDep
from sandbox.login_throttle import LoginRefused, attempt
from sandbox.services.auth.schemas import Me, Token, TokenRequest

router = APIRouter(prefix="/auth", tags=["Authentification"])


@router.post("/token", response_model=Token, summary="Obtenir un jeton pour une persona",
             responses={429: {"description": "Trop de tentatives échouées : attendre"}})
def token(body: TokenRequest, sandbox: SandboxDep, request: Request) -> Token:
    """Sync on purpose: the password hash (scrypt) and the trace of a failure run on a worker
    thread, never on the event loop."""

    def check():
        admit(sandbox, body.tenant, body.password)  # a class's tenant: seeded on first login
        with sandbox.store.session() as session:
            return verify(session, body.tenant, body.login, body.password)

    try:
        actor = attempt(sandbox, protocol="http", tenant=body.tenant, login=body.login,
                        address=request.client.host if request.client else None, check=check)
    except LoginRefused as refusal:
        if refusal.throttled:
            raise ServiceError(429, refusal.reason,
                               headers={"Retry-After": str(refusal.retry_after)}) from None
        raise ServiceError(401, refusal.reason, code="login",
                           headers={"WWW-Authenticate": "Bearer"}) from None
    ttl = sandbox.settings.token_ttl_seconds
    value = issue_token(actor, secret=sandbox.settings.secret, now=sandbox.clock.now(),
                        ttl_seconds=ttl)
    return Token(access_token=value, expires_in=ttl, role=actor.role)


@router.get("/me", response_model=Me, summary="Qui suis-je ?")
def me(actor: ActorDep) -> Me:
    return Me(tenant=actor.tenant, login=actor.login, role=actor.role,
              practitioner_id=actor.practitioner_id, patient_id=actor.patient_id)
