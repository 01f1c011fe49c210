"""Seeding a tenant: the population, each service's data and the personas who log in.

Each service seeds itself: `sandbox/services/<svc>/seed.py` exposes
`seed(session, tenant, population)`, called in a fixed order (annuaire, insi, then the others
alphabetically) inside ONE transaction, so a tenant is either fully seeded or not at all.
`population` is a `SeedPopulation`: the generator's population with `patients` materialised
once (histories are costly; every service reads the same list).

Seeding a SQLite sandbox is made cheap by a template: a seeded database file cached under the
data dir, keyed by seed, size, tenant, package version and table schema, copied on demand.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import pkgutil
import re
import shutil
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from sandbox import deployment
from sandbox.auth_models import PersonaRow
from sandbox.runtime import Sandbox
from sandbox.settings import Settings
from sandbox.store.base import Base
from synthetic_data import model
from synthetic_data.version import __version__

SERVICE_ORDER = ("annuaire", "insi")

# TRE_G15 profession -> role of the access matrix. Professions without a role (dentists…)
# appear in the directory but cannot log in.
ROLE_BY_PROFESSION = {"10": "medecin", "50": "sage_femme", "21": "pharmacien",
                      "60": "infirmier", "70": "kine"}
HOSPITALS = ("CH", "CHU", "CLINIQUE")
DEFAULT_LOGINS = ("medecin", "medecin2", "urgentiste", "sage-femme", "pharmacien", "infirmier",
                  "kine", "secretaire", "etudiant", "patient", "facilitateur")


@dataclass(frozen=True, slots=True)
class PersonaInfo:
    """A default persona: what the banner and the notebooks show."""

    login: str
    role: str
    display_name: str
    practitioner_id: str | None = None
    patient_id: str | None = None
    mailbox: str | None = None


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


def service_seeders() -> Iterator[tuple[str, Callable]]:
    """(service, seed function) for every service that has a `seed` module, in seeding order;
    the MSSanté mailboxes last, from the Annuaire the services have just filled."""
    import sandbox.services as services

    names = sorted(info.name for info in pkgutil.iter_modules(services.__path__) if info.ispkg)
    ordered = [n for n in SERVICE_ORDER if n in names] + [
        n for n in names if n not in SERVICE_ORDER]
    for name in ordered:
        module_name = f"sandbox.services.{name}.seed"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        yield name, module.seed
    yield "mssante", importlib.import_module("sandbox.messaging.seed").seed


# --- personas ---------------------------------------------------------------------------------

def default_personas(population) -> list[PersonaInfo]:
    """The named personas of a population, chosen deterministically from it."""
    practitioners = population.practitioners
    orgs = {o.id: o for o in population.organizations}
    patients = population.patients
    followed = Counter(p.gp_id for p in patients if p.gp_id)
    physicians = [p for p in practitioners if p.profession == "10"]
    gps = [p for p in physicians if p.specialty == "SM54"] or physicians
    gp = max(gps, key=lambda p: (followed[p.id], -practitioners.index(p)))

    def at_hospital(p: model.Practitioner) -> bool:
        org = orgs.get(p.organization_id)
        return org is not None and org.kind in HOSPITALS

    others = [p for p in physicians if p.id != gp.id]
    urgent = next((p for p in others if at_hospital(p) and p.specialty != "SM54"),
                  others[0] if others else gp)

    def first(profession: str) -> model.Practitioner | None:
        return next((p for p in practitioners if p.profession == profession), None)

    def pro(login: str, p: model.Practitioner | None, role: str, title: str) -> PersonaInfo | None:
        if p is None:
            return None
        return PersonaInfo(login, role, f"{title} {p.given_name} {p.birth_name}", p.id,
                           mailbox=p.mssante)

    def doc_count(p: model.Patient) -> int:
        return len(p.documents)

    qualified = [p for p in patients if p.identity.status is model.IdentityStatus.QUAL]
    pool = [p for p in qualified if p.gp_id == gp.id] or qualified or patients
    patient = max(pool, key=lambda p: (doc_count(p), -patients.index(p)))
    # medecin2 works elsewhere and is outside that patient's care team (authored none of the
    # documents of the DMP): the course's "bris de glace" exercise starts with its refusal.
    care_team = {d.author_id for d in patient.documents}
    outside = [p for p in others if p.id != urgent.id and p.organization_id != gp.organization_id
               and p.id not in care_team]
    second = min(outside or others or [gp], key=lambda p: (followed[p.id], practitioners.index(p)))
    gp_org = orgs.get(gp.organization_id)
    ident = patient.identity
    found = [
        pro("medecin", gp, "medecin", "Dr"),
        pro("medecin2", second, "medecin", "Dr"),
        pro("urgentiste", urgent, "medecin", "Dr"),
        pro("sage-femme", first("50"), "sage_femme", ""),
        pro("pharmacien", first("21"), "pharmacien", ""),
        pro("infirmier", first("60"), "infirmier", ""),
        pro("kine", first("70"), "kine", ""),
        PersonaInfo("secretaire", "secretaire",
                    f"Secrétariat — {gp_org.name}" if gp_org else "Secrétariat médical",
                    mailbox=gp_org.mssante if gp_org else None),
        PersonaInfo("etudiant", "etudiant", "Étudiant en santé"),
        PersonaInfo("patient", "patient",
                    f"{ident.used_given_name or ident.first_given_name} "
                    f"{ident.used_name or ident.birth_name}", patient_id=patient.id),
        PersonaInfo("facilitateur", "facilitateur", "Animateur de l'exercice"),
    ]
    return [p for p in found if p is not None]


def default_personas_of(sandbox: Sandbox, tenant: str) -> list[PersonaInfo]:
    """The named personas as stored for `tenant` (what the banner lists)."""
    with sandbox.store.session() as session:
        rows = {r.login: r for r in session.scalars(select(PersonaRow).where(
            PersonaRow.tenant == tenant, PersonaRow.login.in_(DEFAULT_LOGINS)))}
    return [PersonaInfo(r.login, r.role, r.display_name, r.practitioner_id, r.patient_id,
                        r.mailbox) for login in DEFAULT_LOGINS if (r := rows.get(login))]


def _persona_rows(tenant: str, population, hashes: tuple[str, str]) -> list[dict]:
    """Every persona of `tenant`; `hashes`: (the personas' password, the facilitator's)."""
    rows = {p.login: p for p in default_personas(population)}
    for pr in population.practitioners:
        role = ROLE_BY_PROFESSION.get(pr.profession)
        if role and pr.rpps not in rows:
            rows[pr.rpps] = PersonaInfo(pr.rpps, role, f"{pr.given_name} {pr.birth_name}",
                                        pr.id, mailbox=pr.mssante)
    for pa in population.identities():
        if pa.id not in rows:
            ident = pa.identity
            rows[pa.id] = PersonaInfo(pa.id, "patient",
                                      f"{ident.first_given_name} {ident.birth_name}",
                                      patient_id=pa.id)
    personas, facilitator = hashes
    return [{"tenant": tenant, "login": p.login, "role": p.role,
             "display_name": p.display_name.strip(),
             "password_hash": facilitator if p.login == deployment.FACILITATOR_LOGIN else personas,
             "practitioner_id": p.practitioner_id, "patient_id": p.patient_id,
             "mailbox": p.mailbox} for p in rows.values()]


# --- seeding and reset ------------------------------------------------------------------------

def is_seeded(sandbox: Sandbox, tenant: str) -> bool:
    with sandbox.store.session() as session:
        return session.scalar(
            select(PersonaRow.login).where(PersonaRow.tenant == tenant).limit(1)) is not None


def seed_tenant(sandbox: Sandbox, tenant: str, population=None) -> None:
    """Seed every service and the personas of `tenant` in one transaction."""
    population = population if population is not None else load_population(sandbox.settings)
    if not isinstance(population, SeedPopulation):
        population = SeedPopulation(population)
    hashes = deployment.password_hashes(sandbox.settings)  # scrypt: once per seed
    with sandbox.store.session() as session:
        for _name, seed in service_seeders():
            seed(session, tenant, population)
        session.execute(insert(PersonaRow), _persona_rows(tenant, population, hashes))


def delete_tenant(session: Session, tenant: str) -> None:
    """Remove every row of `tenant` from every table that has a tenant column."""
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


# --- SQLite templates -------------------------------------------------------------------------

# What a seeded database depends on besides its settings: the tables and the code and data that
# fill them (population generator, referentials, seeders).
SEED_SOURCES = (Path(model.__file__).parent, Path(__file__).parent)


@cache
def seed_digest() -> str:
    """Names the templates: a cached one is never reused by code that would seed differently
    (≈ 20 ms, once per process)."""
    return sources_digest(SEED_SOURCES)


def sources_digest(sources: tuple[Path, ...]) -> str:
    """Changes whenever the schema or any file under `sources` changes."""
    from sandbox.store.db import register_tables

    register_tables()
    digest = hashlib.sha256("|".join(
        f"{t.name}:{','.join(c.name for c in t.columns)}" for t in Base.metadata.sorted_tables
    ).encode())
    for root in sources:
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(path.relative_to(root).as_posix().encode() + b"\0")
                digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def template_path(settings: Settings, tenant: str) -> Path:
    name = (f"seed{settings.seed}-n{settings.patients}-{tenant}-v{__version__}"
            f"-{seed_digest()}.sqlite")
    return settings.data_dir / "templates" / name


def _checkpoint(path: Path) -> None:
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()


def build_template(settings: Settings, tenant: str) -> Path:
    """The cached seeded database for (seed, size, tenant, version, schema); built once."""
    target = template_path(settings, tenant)
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    for leftover in (scratch, Path(f"{scratch}-wal"), Path(f"{scratch}-shm")):
        leftover.unlink(missing_ok=True)
    sandbox = Sandbox.open(settings.model_copy(update={"db": f"sqlite:///{scratch}"}))
    try:
        seed_tenant(sandbox, tenant)
        deployment.forget_secrets(sandbox.store)  # each copy makes its own at its first start
    finally:
        sandbox.store.dispose()
    _checkpoint(scratch)
    os.replace(scratch, target)  # atomic: concurrent builders never see half a template
    for leftover in (Path(f"{scratch}-wal"), Path(f"{scratch}-shm")):
        leftover.unlink(missing_ok=True)
    _prune_superseded(target, settings, tenant)
    return target


def _prune_superseded(target: Path, settings: Settings, tenant: str) -> None:
    """Delete the templates of the same seed, size and tenant built by other code versions."""
    stem = re.escape(f"seed{settings.seed}-n{settings.patients}-{tenant}")
    superseded = re.compile(rf"{stem}-v[^-]+-[0-9a-f]{{12}}\.sqlite")
    for path in target.parent.glob("*.sqlite"):
        if path != target and superseded.fullmatch(path.name):
            path.unlink(missing_ok=True)


def copy_template(settings: Settings, tenant: str, path: Path) -> None:
    """Start the SQLite file `path` as a copy of the seeded template (built when missing).

    A process running another version of the code may prune the template between build and
    copy: then it is built again.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        shutil.copyfile(build_template(settings, tenant), path)
    except FileNotFoundError:
        shutil.copyfile(build_template(settings, tenant), path)


def sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    return None if parsed.database == ":memory:" else Path(parsed.database)


def open_seeded(settings: Settings, tenant: str | None = None) -> tuple[Sandbox, bool]:
    """Open the sandbox of `settings` with `tenant` seeded; (sandbox, seeded_now).

    A missing SQLite file starts as a copy of the cached template (fast); otherwise the tenant
    is seeded in place when it has no persona.
    """
    tenant = tenant or settings.tenant
    path = sqlite_path(settings.db_url)
    if path is not None and not path.exists():
        copy_template(settings, tenant, path)
        return Sandbox.open(settings), True
    sandbox = Sandbox.open(settings)
    return sandbox, ensure_seeded(sandbox, tenant)
