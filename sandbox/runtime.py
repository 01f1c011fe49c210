"""The sandbox's running parts, shared by the HTTP app, the mail servers and the client."""

from __future__ import annotations

from dataclasses import dataclass, field

from sandbox import deployment
from sandbox.clock import Clock, SystemClock
from sandbox.login_throttle import LoginThrottle
from sandbox.settings import Settings
from sandbox.store import Store


@dataclass
class Sandbox:
    settings: Settings
    store: Store
    clock: Clock = field(default_factory=SystemClock)
    login_throttle: LoginThrottle = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.login_throttle is None:
            self.login_throttle = LoginThrottle.from_settings(self.settings)

    @classmethod
    def open(cls, settings: Settings | None = None, clock: Clock | None = None) -> Sandbox:
        """Open the store (migrated to this version) with this deployment's secrets and passwords."""
        settings = settings or Settings()
        store = Store(settings.db_url, sqlite_synchronous=settings.sqlite_synchronous)
        store.migrate()
        settings = deployment.resolve(settings, store)
        return cls(settings, store, clock or SystemClock())
