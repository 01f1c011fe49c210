"""One SQLAlchemy engine per gradebook URL for a whole grading run.

nbgrader opens a new `Gradebook` for every step that touches the database (several per
notebook), and each builds a new engine: a new connection pool and an empty cache of compiled
statements, so every query of every step was compiled again. `share_engines` makes
`nbgrader.api` get the same engine back for the same URL. `Gradebook.close()` still disposes
it, which only closes its pooled connections (the next step opens one again); the compiled
statements stay. The steps themselves, their queries and their results are nbgrader's own.
"""

from __future__ import annotations

import threading
from typing import Any

import nbgrader.api
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

_ENGINES: dict[tuple[str, tuple], Engine] = {}
_LOCK = threading.Lock()


def shared_engine(url: Any, **options: Any) -> Engine:
    key = (str(url), tuple(sorted(options.items())))
    with _LOCK:
        engine = _ENGINES.get(key)
        if engine is None:
            engine = _ENGINES[key] = create_engine(url, **options)
        return engine


def share_engines() -> None:
    """From now on, in this process, nbgrader's gradebooks of one URL share one engine."""
    nbgrader.api.create_engine = shared_engine
