"""The SQLite template cache: seeding a SQLite sandbox made cheap.

A template is a seeded database file cached under the data dir, named by seed, size, tenant,
package version and a digest of the schema and of the code and data that seed it; a new SQLite
sandbox starts as a copy of it.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sqlite3
from collections.abc import Callable
from functools import cache
from pathlib import Path

from sqlalchemy.engine import make_url

from sandbox import deployment
from sandbox.runtime import Sandbox
from sandbox.seeding import ensure_seeded, seed_tenant
from sandbox.settings import Settings
from sandbox.store.base import Base
from synthetic_data import model
from synthetic_data.version import __version__

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


Progress = Callable[[str], None]


def build_template(settings: Settings, tenant: str, progress: Progress | None = None) -> Path:
    """The cached seeded database for (seed, size, tenant, version, schema); built once, with
    a line to `progress` first (seconds that a first start would otherwise spend silent)."""
    target = template_path(settings, tenant)
    if target.exists():
        return target
    if progress is not None:
        progress(f"Peuplement du bac à sable : {settings.patients} patients fictifs (graine "
                 f"{settings.seed}), une seule fois…")
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


def copy_template(settings: Settings, tenant: str, path: Path,
                  progress: Progress | None = None) -> None:
    """Start the SQLite file `path` as a copy of the seeded template (built when missing).

    A process running another version of the code may prune the template between build and
    copy: then it is built again.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        shutil.copyfile(build_template(settings, tenant, progress), path)
    except FileNotFoundError:
        shutil.copyfile(build_template(settings, tenant, progress), path)


def sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    return None if parsed.database == ":memory:" else Path(parsed.database)


def open_seeded(settings: Settings, tenant: str | None = None,
                progress: Progress | None = None) -> tuple[Sandbox, bool]:
    """Open the sandbox of `settings` with `tenant` seeded; (sandbox, seeded_now).

    A missing SQLite file starts as a copy of the cached template (fast); otherwise the tenant
    is seeded in place when it has no persona.
    """
    tenant = tenant or settings.tenant
    path = sqlite_path(settings.db_url)
    if path is not None and not path.exists():
        copy_template(settings, tenant, path, progress)
        return Sandbox.open(settings), True
    sandbox = Sandbox.open(settings)
    return sandbox, ensure_seeded(sandbox, tenant)
