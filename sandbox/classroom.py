"""A class on one shared sandbox: one tenant per student, each with its own persona password.

With `class_key` set (the JupyterHub deployment sets it), the persona password of tenant T is
derived from the key and T, so a student who is handed the password of their own tenant cannot
log in to another one; the trainer, who holds the key, can log in to every tenant of the class.
A tenant is seeded the first time someone logs in to it with its password (a new student needs
no preparation); the tenants of the class's known students (`class_tenants`) are seeded in the
background as soon as the sandbox starts, so that a whole class logging in at once does not
queue behind one seeding after another. Every tenant of a class is seeded from one population,
generated once per process. Tokens already carry their tenant; a request that names another tenant
(`X-Santelab-Tenant`) is refused with a 403.
"""

from __future__ import annotations

import hmac
import threading

from sandbox.auth import tenant_password
from sandbox.errors import ServiceError
from sandbox.runtime import Sandbox
from sandbox.seeding import SeedPopulation, is_seeded, load_population, seed_tenant

TENANT_HEADER = "x-santelab-tenant"
_SEEDING = threading.Lock()  # one sandbox process per class: seed one tenant at a time
_POPULATIONS: dict[tuple[int, int], SeedPopulation] = {}  # (seed, patients): generated once


def admit(sandbox: Sandbox, tenant: str, password: str) -> None:
    """In a class, seed `tenant` on its first login with the tenant's own password."""
    key = sandbox.settings.class_key
    if not key or not hmac.compare_digest(password, tenant_password(key, tenant)):
        return
    _ensure_seeded(sandbox, tenant)


def _ensure_seeded(sandbox: Sandbox, tenant: str) -> None:
    with _SEEDING:
        if not is_seeded(sandbox, tenant):
            settings = sandbox.settings
            key = (settings.seed, settings.patients)
            if key not in _POPULATIONS:
                _POPULATIONS[key] = load_population(settings)
            seed_tenant(sandbox, tenant, _POPULATIONS[key])


def class_tenants(sandbox: Sandbox) -> list[str]:
    return [t.strip() for t in sandbox.settings.class_tenants.split(",") if t.strip()]


def prepare_class(sandbox: Sandbox) -> threading.Thread | None:
    """Seed the known students' tenants on a background thread (None: nothing to do)."""
    if not sandbox.settings.class_key or not class_tenants(sandbox):
        return None

    def seed_all() -> None:
        for tenant in class_tenants(sandbox):
            _ensure_seeded(sandbox, tenant)

    thread = threading.Thread(target=seed_all, name="santelab-classe", daemon=True)
    thread.start()
    return thread


def check_tenant(named: str | None, token_tenant: str) -> None:
    """Refuse a token used on a tenant other than its own."""
    if named is not None and named != token_tenant:
        raise ServiceError(
            403,
            f"Ce jeton appartient au bac à sable « {token_tenant} » : il ne donne pas accès "
            f"au bac à sable « {named} ». Connectez-vous à votre propre bac à sable.",
            code="forbidden")
