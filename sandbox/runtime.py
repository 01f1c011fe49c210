"""The sandbox's running parts, shared by the HTTP app, the mail servers and the client."""

from __future__ import annotations

from dataclasses import dataclass, field

from sandbox.clock import Clock, SystemClock
from sandbox.settings import Settings
from sandbox.store import Store


@dataclass
class Sandbox:
    settings: Settings
    store: Store
    clock: Clock = field(default_factory=SystemClock)

    @classmethod
    def open(cls, settings: Settings | None = None, clock: Clock | None = None) -> Sandbox:
        settings = settings or Settings()
        store = Store(settings.db_url, sqlite_synchronous=settings.sqlite_synchronous)
        store.migrate()
        return cls(settings, store, clock or SystemClock())
