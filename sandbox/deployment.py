"""What each deployment has of its own: the token-signing secret and the passwords.

A secret left empty in the settings is generated at the store's first start and kept in the
store itself (table `deployment_secrets`: in the SQLite file, or in the PostgreSQL database),
so every process sharing a store agrees on it, and no two stores accept each other's tokens.

Passwords: the public persona password (`PUBLIC_PERSONA_PASSWORD`) is accepted only by the
embedded local sandbox (SQLite, listening on loopback); the facilitator's password is never the
personas' one; a shared or PostgreSQL sandbox refuses to start without both
(`require_for_start`). In a class (`class_key` set, sandbox/classroom.py) every tenant's
personas have their own password derived from the key, and the public one is never accepted.
The persona rows are re-hashed whenever the passwords of the settings are not the ones the
store was given last (a copied template, a changed setting).
"""

from __future__ import annotations

import ipaddress
import secrets

from sqlalchemy import select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from sandbox.auth import check_password, hash_password, tenant_password
from sandbox.auth_models import PersonaRow
from sandbox.deployment_models import DeploymentSecretRow
from sandbox.settings import PUBLIC_PERSONA_PASSWORD, Settings
from sandbox.store import Store
from synthetic_data.errors import SantelabError

SIGNING = "token_signing"
FACILITATOR = "facilitator_password"
APPLIED = "passwords_applied"  # a scrypt hash of the passwords the persona rows carry
FACILITATOR_LOGIN = "facilitateur"

HOW_TO_SET = (
    "définissez SANTELAB_PERSONA_PASSWORD (mot de passe des personas, autre que le mot de "
    "passe public « {public} ») et SANTELAB_FACILITATOR_PASSWORD (mot de passe de "
    "l'animateur, différent du précédent), par exemple dans l'environnement du service "
    "ou un fichier .env, puis relancez")


def is_local(settings: Settings) -> bool:
    """The embedded sandbox of one user: a SQLite store served on loopback only."""
    if make_url(settings.db_url).get_backend_name() != "sqlite":
        return False
    host = settings.host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def require_for_start(settings: Settings) -> None:
    """Refuse, in French, to start a shared or PostgreSQL sandbox without its own passwords
    (an unsupported database is left to the store, which names it)."""
    if is_local(settings) or make_url(settings.db_url).get_backend_name() not in (
            "sqlite", "postgresql"):
        return
    missing = []
    if settings.persona_password == PUBLIC_PERSONA_PASSWORD and not settings.class_key:
        missing.append("le mot de passe des personas est le mot de passe public")
    if not settings.facilitator_password:
        missing.append("le mot de passe de l'animateur n'est pas défini")
    if missing:
        raise SantelabError(
            "bac à sable partagé (PostgreSQL ou écoute hors de 127.0.0.1) : "
            f"{' ; '.join(missing)}. Pour le démarrer, "
            + HOW_TO_SET.format(public=PUBLIC_PERSONA_PASSWORD) + ".")


def stored_secret(store: Store, name: str) -> str:
    """The store's secret `name`, generated at the first call (safe between processes)."""
    with store.session() as session:
        row = session.get(DeploymentSecretRow, name)
        if row is not None:
            return row.value
    try:
        with store.session() as session:
            session.add(DeploymentSecretRow(name=name, value=secrets.token_urlsafe(32)))
    except IntegrityError:
        pass  # another process generated it first: use theirs
    with store.session() as session:
        return session.get(DeploymentSecretRow, name).value


def forget_secrets(store: Store) -> None:
    """Drop the store's secrets (a template is copied into many deployments: none of its own)."""
    with store.session() as session:
        session.query(DeploymentSecretRow).delete()


def resolve(settings: Settings, store: Store) -> Settings:
    """The settings with this deployment's secret and facilitator password filled in, and the
    persona rows of the store hashed with the current passwords."""
    resolved = settings.model_copy(update={
        "secret": settings.secret or stored_secret(store, SIGNING),
        "facilitator_password": settings.facilitator_password or stored_secret(store, FACILITATOR),
    })
    if not resolved.class_key and resolved.facilitator_password == resolved.persona_password:
        raise SantelabError(
            "le mot de passe de l'animateur (SANTELAB_FACILITATOR_PASSWORD) doit différer de "
            "celui des personas (SANTELAB_PERSONA_PASSWORD) : changez l'un des deux.")
    apply_passwords(resolved, store)
    return resolved


def persona_password(settings: Settings, tenant: str) -> str:
    """The personas' password of `tenant`: its own in a class, shared by every tenant otherwise."""
    if settings.class_key:
        return tenant_password(settings.class_key, tenant)
    return settings.persona_password


def password_hashes(settings: Settings, tenant: str) -> tuple[str, str]:
    """(personas' hash, facilitator's hash) of `tenant` under resolved settings: one scrypt
    each."""
    return (hash_password(persona_password(settings, tenant)),
            hash_password(settings.facilitator_password))


def _passwords(settings: Settings) -> str:
    return f"{settings.persona_password}\0{settings.facilitator_password}\0{settings.class_key}"


def apply_passwords(settings: Settings, store: Store) -> None:
    """Re-hash every persona of the store when the passwords changed since the last time."""
    with store.session() as session:
        row = session.get(DeploymentSecretRow, APPLIED)
        if row is not None and check_password(_passwords(settings), row.value):
            return
    facilitator = hash_password(settings.facilitator_password)
    try:
        with store.session() as session:
            # A class has one password per tenant (one scrypt each); otherwise one for all.
            shared = None if settings.class_key else hash_password(settings.persona_password)
            for tenant in session.scalars(select(PersonaRow.tenant).distinct()).all():
                personas = shared or hash_password(persona_password(settings, tenant))
                session.execute(update(PersonaRow)
                                .where(PersonaRow.tenant == tenant,
                                       PersonaRow.login != FACILITATOR_LOGIN)
                                .values(password_hash=personas))
            session.execute(update(PersonaRow).where(PersonaRow.login == FACILITATOR_LOGIN)
                            .values(password_hash=facilitator))
            session.merge(DeploymentSecretRow(name=APPLIED,
                                              value=hash_password(_passwords(settings))))
    except IntegrityError:
        pass  # another process starting on the same store applied them at the same moment
