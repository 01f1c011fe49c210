"""Seeding a tenant: every service of the registry, then the personas who log in, in ONE
transaction, so a tenant is either fully seeded or not at all.

A service seeds itself with the `seeder` of its registry entry, `seed(session, tenant,
population)`, called in registry order. `population` is a `SeedPopulation`: the generator's
population with its lists materialised once (histories are costly; every service reads the
same list).
"""

from __future__ import annotations

from functools import cached_property

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sandbox import deployment, personas
from sandbox.auth_models import PersonaRow
from sandbox.messaging import mailstore
from sandbox.runtime import Sandbox
from sandbox.service_registry import SERVICES, resolve
from sandbox.settings import Settings
from sandbox.store.base import Base
from synthetic_data import model


class SeedPopulation:
    """The population as seeders see it: patients materialised once, the rest passed through."""

    def __init__(self, population):
        self._population = population

    def __getattr__(self, name: str):
        return getattr(self._population, name)

    @cached_property
    def patients(self) -> list[model.Patient]:
        return list(self._population.patients)

    @cached_property
    def practitioners(self) -> list[model.Practitioner]:
        return list(self._population.practitioners)

    @cached_property
    def organizations(self) -> list[model.Organization]:
        return list(self._population.organizations)


def load_population(settings: Settings) -> SeedPopulation:
    import synthetic_data

    return SeedPopulation(synthetic_data.generate(n=settings.patients, seed=settings.seed))


def is_seeded(sandbox: Sandbox, tenant: str) -> bool:
    with sandbox.store.session() as session:
        return session.scalar(
            select(PersonaRow.login).where(PersonaRow.tenant == tenant).limit(1)) is not None


def seed_tenant(sandbox: Sandbox, tenant: str, population=None) -> None:
    """Seed every service and the personas of `tenant` in one transaction."""
    population = population if population is not None else load_population(sandbox.settings)
    if not isinstance(population, SeedPopulation):
        population = SeedPopulation(population)
    hashes = deployment.password_hashes(sandbox.settings, tenant)  # scrypt: once per seed
    with sandbox.store.session() as session:
        for service in SERVICES:
            if service.seeder:
                resolve(service.seeder)(session, tenant, population)
        personas.seed(session, tenant, population, hashes)


def delete_tenant(session: Session, tenant: str) -> None:
    """Remove every row of `tenant` from every table that has a tenant column."""
    mailstore.forget_mailboxes(session, tenant)
    for table in reversed(Base.metadata.sorted_tables):
        if "tenant" in table.c:
            session.execute(delete(table).where(table.c.tenant == tenant))


def reset_tenant(sandbox: Sandbox, tenant: str, population=None) -> None:
    """Delete the tenant's rows (events and faults included) and seed it again."""
    with sandbox.store.session() as session:
        delete_tenant(session, tenant)
    seed_tenant(sandbox, tenant, population)


def ensure_seeded(sandbox: Sandbox, tenant: str | None = None) -> bool:
    """Seed `tenant` if it has no persona yet; True when seeding happened."""
    tenant = tenant or sandbox.settings.tenant
    if is_seeded(sandbox, tenant):
        return False
    seed_tenant(sandbox, tenant)
    return True
