"""Schema migrations of the store (Alembic), run whenever a sandbox opens its database.

A class's PostgreSQL sandbox or an establishment's drill database outlives a santelab upgrade:
`upgrade` brings any database of an earlier release to this version's schema, data kept.
Three cases:
- an empty database: the tables are created from the models and stamped at the head revision
  (one `create_all` is faster than replaying history, and gives the same schema: a test checks
  it);
- a database of release 0.1, made before migrations existed (tables, no version row): stamped
  at the first revision, which is that release's schema, then upgraded;
- a database at a known revision: upgraded to the head.
A database at a revision this code does not know was made by a newer santelab: refused in
French, never downgraded. Revisions live in `migrations/versions/`; a new table or column comes
with a new revision (`tests/sandbox/test_migrations.py` fails when the models and the revisions
disagree).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from sandbox.store.base import Base
from synthetic_data.errors import SantelabError

MIGRATIONS = Path(__file__).with_name("migrations")
FIRST_REVISION = "0001_stage1"


def alembic_config(connection=None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


@cache
def _script() -> ScriptDirectory:
    """The revisions, read once a process: every sandbox opened checks its database against
    them (a kernel opens one or more), and reading the revision files took 5 ms each time."""
    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    return _script().get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, where: str) -> str:
    """Bring the database of `engine` to the head revision; the revision it was at (or None).

    `where` names the database in error messages (never its password).
    """
    from sandbox.store.db import register_tables

    register_tables()
    script = _script()
    with engine.begin() as connection:
        config = alembic_config(connection)
        found = MigrationContext.configure(connection).get_current_revision()
        if found is not None and found not in {r.revision for r in script.walk_revisions()}:
            raise SantelabError(
                f"la base {where} a été créée par une version plus récente de santelab "
                f"(révision {found}) : mettez santelab à jour, ou utilisez une autre base.")
        if found is None:
            if inspect(connection).get_table_names():  # release 0.1: tables, no version row
                command.stamp(config, FIRST_REVISION)
                command.upgrade(config, "head")
            else:
                Base.metadata.create_all(connection)
                command.stamp(config, "head")
        elif found != script.get_current_head():
            command.upgrade(config, "head")
        _check_columns(connection, where)
    return found


def _check_columns(connection, where: str) -> None:
    """A database stamped at the head but altered by hand would fail on its first query."""
    existing = inspect(connection)
    missing = sorted(
        f"{table.name}.{name}" for table in Base.metadata.sorted_tables
        for name in set(table.columns.keys())
        - {column["name"] for column in existing.get_columns(table.name)})
    if missing:
        raise SantelabError(
            f"la base {where} ne correspond pas au schéma de cette version de santelab "
            f"(colonnes absentes : {', '.join(missing)}) : supprimez ce fichier (ou videz ce "
            "schéma PostgreSQL) pour repartir d'un bac à sable neuf.")

