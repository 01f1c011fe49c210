"""The sandbox served inside this process, for a notebook or a test without a server.

Each process gets a private copy of the seeded SQLite template (built once per seed and size
under the data dir) and the app behind an in-process transport, so every process starts from
the same seeded state; every persona of the process shares that copy. Kept apart from
`sandbox.client` so that the client itself never loads the app, FastAPI or SQLAlchemy.

No engine process plays drills here, so the app is wrapped to tick the drill engine before each
request: an inject the facilitator sends now (or one due by the clock) has fired by the next call,
as with a server whose engine runs beside it, and never depends on how fast the cells are run.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

from sandbox.app import create_app
from sandbox.client.transport import IN_PROCESS_URL, Transport
from sandbox.drills.engine import Engine
from sandbox.runtime import Sandbox
from sandbox.seeding import ensure_seeded
from sandbox.settings import Settings
from sandbox.template_cache import copy_template

_LOCAL: dict[tuple, tuple[Any, Transport]] = {}
_LOCK = threading.Lock()


def local_sandbox(tenant: str | None) -> tuple[Any, Transport, str]:
    settings = Settings()
    tenant = tenant or settings.tenant
    key = (settings.seed, settings.patients, str(settings.data_dir), tenant)
    with _LOCK:
        if key not in _LOCAL:
            folder = Path(tempfile.mkdtemp(prefix="santelab-local-"))
            atexit.register(shutil.rmtree, folder, ignore_errors=True)
            db = folder / "sandbox.sqlite"
            copy_template(settings, tenant, db)
            sandbox = Sandbox.open(settings.model_copy(update={"db": f"sqlite:///{db}"}))
            ensure_seeded(sandbox, tenant)
            _LOCAL[key] = (sandbox, Transport.in_process(DrillTicking(create_app(sandbox))))
        sandbox, transport = _LOCAL[key]
    return sandbox, transport, tenant


class DrillTicking:
    """The in-process app, whose drill engine runs what is due before each request."""

    def __init__(self, app: Any):
        self.app = app
        self.engine = Engine(app.state.sandbox, base_url=IN_PROCESS_URL, faults=app.state.faults)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.engine.tick()
        await self.app(scope, receive, send)
