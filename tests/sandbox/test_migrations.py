"""Schema migrations: a class's or an establishment's database survives a santelab upgrade.

`fixtures/stores/release-0.1.sqlite.gz` is a real database of release 0.1 (the stage-1 code,
commit 150981d, before migrations existed), made by
`santelab sandbox reset --patients 12 --db sqlite:///release-0.1.sqlite`: seeded tenant
« demo », tables and no Alembic version row.
"""

from __future__ import annotations

import gzip
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from sandbox.store.base import Base
from sandbox.store.db import Store, make_engine, register_tables
from sandbox.store.migrate import FIRST_REVISION, alembic_config, current_revision, head
from synthetic_data.errors import SantelabError

RELEASE_01 = Path(__file__).resolve().parents[1] / "fixtures" / "stores" / "release-0.1.sqlite.gz"


def release_01_copy(tmp_path: Path) -> Path:
    path = tmp_path / "release-0.1.sqlite"
    path.write_bytes(gzip.decompress(RELEASE_01.read_bytes()))
    return path


def row_counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as db:
        tables = [r[0] for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name != 'alembic_version'")]
        return {t: db.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


def test_a_release_01_database_is_upgraded_with_all_its_data(tmp_path):
    path = release_01_copy(tmp_path)
    before = row_counts(path)
    assert before["personas"] > 0 and before["dmp_documents"] > 0  # a seeded tenant
    store = Store(f"sqlite:///{path}")
    try:
        assert store.migrate() is None  # it had no version row
        assert current_revision(store.engine) == head()
        assert store.migrate() == head()  # a second start has nothing to do
    finally:
        store.dispose()
    after = row_counts(path)
    assert {t: after[t] for t in before} == before


def revisions_only(url: str) -> None:
    """Build a database by replaying every revision (not by create_all)."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), "head")
    finally:
        engine.dispose()


def schema_differences(url: str) -> list:
    register_tables()
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_revisions_build_exactly_the_models_tables(backend, tmp_path, request):
    """A new table or column without its revision fails here (write one with
    `alembic revision --autogenerate`, see sandbox/store/migrate.py)."""
    url = (f"sqlite:///{tmp_path / 'historique.sqlite'}" if backend == "sqlite"
           else request.getfixturevalue("postgres_server").database())
    revisions_only(url)
    assert schema_differences(url) == []


@pytest.mark.postgres
def test_a_release_01_schema_on_postgresql_is_upgraded_with_its_rows(postgres_server):
    url = postgres_server.database()
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), FIRST_REVISION)
            connection.execute(text("DROP TABLE alembic_version"))  # as release 0.1 left it
            connection.execute(text(
                "INSERT INTO personas (tenant, login, role, display_name, password_hash) "
                "VALUES ('classe', 'medecin', 'medecin', 'Dr Test', 'x')"))
    finally:
        engine.dispose()
    store = Store(url)
    try:
        assert store.migrate() is None
        assert current_revision(store.engine) == head()
        with store.engine.connect() as connection:
            assert connection.execute(text(
                "SELECT display_name FROM personas WHERE login = 'medecin'")).scalar() == "Dr Test"
    finally:
        store.dispose()


def test_a_database_of_a_newer_santelab_is_refused_in_french(tmp_path):
    path = tmp_path / "future.sqlite"
    Store(f"sqlite:///{path}").migrate()
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_futur'"))
    engine.dispose()
    store = Store(f"sqlite:///{path}")
    with pytest.raises(SantelabError, match=r"créée par une version plus récente de santelab "
                                            r"\(révision 9999_futur\)"):
        store.migrate()
    store.dispose()


def test_sandbox_upgrade_says_what_it_did(tmp_path):
    path = release_01_copy(tmp_path)
    command_line = [sys.executable, "-m", "santelab", "sandbox", "upgrade",
                    "--db", f"sqlite:///{path}", "--data-dir", str(tmp_path)]
    first = subprocess.run(command_line, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == (f"Base sqlite:///{path} mise à jour : révision aucune "
                                     f"(0.1 ou neuve) → {head()}.")
    again = subprocess.run(command_line, capture_output=True, text=True, timeout=120)
    assert again.stdout.strip() == f"Base sqlite:///{path} déjà à jour (révision {head()})."
