"""A drill world for the tests: the seeded store on a manual clock, served for real, with an
engine on the same clock (tests tick it by hand: never a sleep)."""

from __future__ import annotations

from datetime import UTC, datetime

from fixtures.personas import password_for
from fixtures.servers import AppServer
from sandbox_helpers import TENANT, events

from sandbox.app import create_app
from sandbox.clock import ManualClock
from sandbox.drills.engine import Engine
from sandbox.runtime import Sandbox


class World:
    """The seeded store on a manual clock, served for real, with an engine on the same clock."""

    def __init__(self, seeded: Sandbox):
        self.clock = ManualClock(datetime.now(UTC))
        self.sandbox = Sandbox(seeded.settings, seeded.store, self.clock)
        self.app = create_app(self.sandbox)
        self.server = AppServer(self.app).start()
        self.engine = Engine(self.sandbox, base_url=self.server.url, faults=self.app.state.faults)
        self.capsules: dict[str, str] = {}  # run -> the capsule CSV its unit exported

    def connect(self, login: str, tenant: str = TENANT):
        from sandbox.client import connect

        return connect(login, url=self.server.url, tenant=tenant, password=password_for(login))

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds=seconds)
        self.engine.tick()

    def step_state(self, tenant: str, run: str, key: str) -> str:
        return next(s["etat"] for s in self.engine.status(tenant, run)["etapes"] if s["cle"] == key)

    def fired(self, tenant: str, run: str, key: str) -> int:
        return sum(1 for e in events(self.sandbox, tenant, service="drill")
                   if e.action == "drill.inject" and e.target == f"exercice/{run}/{key}")
