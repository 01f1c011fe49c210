"""Personas, passwords and bearer tokens.

Tokens are signed, not stored (HMAC over tenant, login, role and expiry), so any number of
sandbox processes sharing one PostgreSQL accept each other's tokens without a session table.
The sandbox is a training environment: its signing secret is a setting, public by default.
"""

from __future__ import annotations

import base64
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


def persona_password(settings, tenant: str) -> str:
    """The persona password of `tenant`: its own in a class, shared by every tenant otherwise."""
    if settings.class_key:
        return tenant_password(settings.class_key, tenant)
    return settings.persona_password


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
    body, _, signature = token.partition(".")
    expected = _b64(hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest())
    if not signature or not hmac.compare_digest(signature, expected):
        raise _invalid("Jeton invalide : reconnectez-vous pour obtenir un nouveau jeton.")
    try:
        payload = json.loads(_unb64(body))
    except ValueError as exc:
        raise _invalid("Jeton illisible : reconnectez-vous.") from exc
    if payload["exp"] < now.timestamp():
        raise _invalid("Jeton expiré : reconnectez-vous pour obtenir un nouveau jeton.")
    return Actor(payload["t"], payload["l"], payload["r"], payload.get("pr"), payload.get("pa"))


def authenticate(session: Session, tenant: str, login: str, password: str) -> Actor:
    """Check a persona's password; the same French refusal whatever was wrong."""
    row = session.get(PersonaRow, (tenant, login))
    if row is None or not check_password(password, row.password_hash):
        raise _invalid(
            "Identifiant ou mot de passe incorrect pour ce bac à sable : vérifiez la "
            "persona, le mot de passe et le bac à sable (tenant)."
        )
    return Actor(tenant, row.login, row.role, row.practitioner_id, row.patient_id)
