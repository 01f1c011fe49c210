"""Personas, passwords and bearer tokens.

Tokens are signed, not stored (HMAC over tenant, login, role and expiry), so any number of
sandbox processes sharing one PostgreSQL accept each other's tokens without a session table.
The signing secret is per deployment (sandbox/deployment.py): generated at the store's first
start and kept in it, unless a setting gives one.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from sandbox.auth_models import PersonaRow
from sandbox.errors import ServiceError

_SCRYPT = {"n": 2**12, "r": 8, "p": 1}


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is calling: resolved from the bearer token for every request."""

    tenant: str
    login: str
    role: str
    practitioner_id: str | None = None
    patient_id: str | None = None


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    salt = salt if salt is not None else os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        _scheme, salt_hex, digest_hex = stored.split("$")
    except ValueError:
        return False
    digest = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt_hex), **_SCRYPT)
    return hmac.compare_digest(digest.hex(), digest_hex)


def tenant_password(class_key: str, tenant: str) -> str:
    """The persona password of `tenant` in a class keyed by `class_key` (sandbox/classroom.py)."""
    digest = hmac.new(class_key.encode(), tenant.encode(), hashlib.sha256).hexdigest()
    return f"classe-{digest[:24]}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue_token(actor: Actor, *, secret: str, now: datetime, ttl_seconds: int) -> str:
    payload = {
        "t": actor.tenant, "l": actor.login, "r": actor.role,
        "pr": actor.practitioner_id, "pa": actor.patient_id,
        "exp": int(now.timestamp()) + ttl_seconds,
    }
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    signature = _b64(hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest())
    return f"{body}.{signature}"


def _invalid(reason: str) -> ServiceError:
    return ServiceError(401, reason, code="login", headers={"WWW-Authenticate": "Bearer"})


def read_token(token: str, *, secret: str, now: datetime) -> Actor:
    """The actor a token names; a 401 with a French reason if it is forged or expired."""
    actor, expiry = _verified(token, secret)
    if expiry < now.timestamp():
        raise _invalid("Jeton expiré : reconnectez-vous pour obtenir un nouveau jeton.")
    return actor


@functools.lru_cache(maxsize=1024)
def _verified(token: str, secret: str) -> tuple[Actor, float]:
    """The actor and expiry of a well-signed, well-formed token. Kept for the tokens seen
    last (a refusal is never kept): every request carries one, read twice (fault
    middleware, then the route's actor), and its HMAC and JSON were a tenth of a search."""
    body, _, signature = token.partition(".")
    expected = _b64(hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest())
    if not signature or not hmac.compare_digest(signature, expected):
        raise _invalid("Jeton invalide : reconnectez-vous pour obtenir un nouveau jeton.")
    try:
        payload = json.loads(_unb64(body))
    except ValueError as exc:
        raise _invalid("Jeton illisible : reconnectez-vous.") from exc
    if not _well_formed(payload):
        raise _invalid("Jeton incomplet (expiration ou identité absente) : reconnectez-vous "
                       "pour obtenir un nouveau jeton.")
    actor = Actor(payload["t"], payload["l"], payload["r"], payload.get("pr"), payload.get("pa"))
    return actor, payload["exp"]


def _well_formed(payload: object) -> bool:
    """What `issue_token` writes: a numeric expiry and string names (a signed token may still
    have been minted by other code holding the secret)."""
    if not isinstance(payload, dict):
        return False
    expiry = payload.get("exp")
    if isinstance(expiry, bool) or not isinstance(expiry, int | float) or expiry != expiry:
        return False
    names = [payload.get(k) for k in ("t", "l", "r")]
    optional = [payload.get(k) for k in ("pr", "pa")]
    return (all(isinstance(n, str) for n in names)
            and all(o is None or isinstance(o, str) for o in optional))


WRONG_CREDENTIALS = ("Identifiant ou mot de passe incorrect pour ce bac à sable : vérifiez la "
                     "persona, le mot de passe et le bac à sable (tenant).")
# Checked when the persona does not exist, so that an unknown login costs the same scrypt.
_NOBODY = hash_password("", salt=bytes(16))


def verify(session: Session, tenant: str, login: str, password: str) -> Actor | None:
    """The persona these credentials name, or None (unknown persona or wrong password)."""
    row = session.get(PersonaRow, (tenant, login))
    if row is None:
        check_password(password, _NOBODY)
        return None
    if not check_password(password, row.password_hash):
        return None
    return Actor(tenant, row.login, row.role, row.practitioner_id, row.patient_id)


def authenticate(session: Session, tenant: str, login: str, password: str) -> Actor:
    """Check a persona's password; the same French refusal whatever was wrong."""
    actor = verify(session, tenant, login, password)
    if actor is None:
        raise _invalid(WRONG_CREDENTIALS)
    return actor
