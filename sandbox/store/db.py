"""Engine and sessions, tuned so that an acknowledged write survives a crash.

SQLite runs in WAL mode with a busy timeout so concurrent writers queue instead of failing;
synchronous=NORMAL by default (a commit survives a crash or SIGKILL of the process; measured
7 ms per commit with FULL, which fsyncs each one: setting `sqlite_synchronous`). Requests commit
before their response is sent (see sandbox/transactions.py). PostgreSQL keeps its
defaults (fsync on).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from sandbox.store.sqlite_writer import connection_factory
from synthetic_data.errors import SantelabError

# Kept connections outnumber the requests let in at once (transactions.MAX_CONCURRENT_REQUESTS) plus
# the refusal traces they write on the side: an overflow connection is opened and closed again
# for each request that needs it, which under load was most of them.
POOL = {"pool_size": 48, "max_overflow": 32}
SQLITE_TIMEOUT = 30.0  # seconds a writer waits for the file before "database is locked"


def _sqlite_pragmas(synchronous: str):
    def apply(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_TIMEOUT * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return apply


def register_tables() -> None:
    """Import every table module of the service registry so its tables join Base.metadata
    (this module names no service)."""
    from sandbox.service_registry import table_modules

    for name in table_modules():
        importlib.import_module(name)


def make_engine(url: str, *, sqlite_synchronous: str = "NORMAL") -> Engine:
    """The engine of a store URL. JSON columns (FHIR resources, event details) are decoded by
    orjson: the stdlib decoder was a third of a DMP search's time; encoding stays the
    stdlib's, so stored text is unchanged."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise SantelabError(f"adresse de base de données invalide : {url!r}") from exc
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        pool, connect = {}, {"check_same_thread": False, "timeout": SQLITE_TIMEOUT}
        if parsed.database and parsed.database != ":memory:":
            pool = POOL
            connect["factory"] = connection_factory(parsed.database, SQLITE_TIMEOUT)
        engine = create_engine(url, connect_args=connect, json_deserializer=orjson.loads,
                               **pool)
        if sqlite_synchronous not in ("NORMAL", "FULL"):
            raise SantelabError(f"mode synchronous SQLite inconnu : {sqlite_synchronous!r} "
                                "(NORMAL ou FULL)")
        event.listen(engine, "connect", _sqlite_pragmas(sqlite_synchronous))
        return engine
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return create_engine(parsed, pool_pre_ping=True, json_deserializer=orjson.loads,
                             **POOL)
    raise SantelabError(
        f"base de données non prise en charge : {parsed.get_backend_name()!r} "
        "(utilisez sqlite:///chemin ou postgresql://…)"
    )


class Store:
    """One database shared by every service and tenant."""

    def __init__(self, url: str, *, sqlite_synchronous: str = "NORMAL"):
        self.url = url
        self.engine = make_engine(url, sqlite_synchronous=sqlite_synchronous)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def migrate(self) -> str | None:
        """Bring the database to this version's schema, data kept (`migrate.upgrade`); the
        revision it was at."""
        from sandbox.store.migrate import upgrade

        return upgrade(self.engine, self.url.split("@")[-1])

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed on success, rolled back on any error."""
        with self._sessions() as session, session.begin():
            yield session

    def begin(self) -> Session:
        """A session with its transaction begun; the caller commits or rolls back, and closes."""
        session = self._sessions()
        session.begin()
        return session

    def dispose(self) -> None:
        self.engine.dispose()
