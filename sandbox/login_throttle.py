"""Failed logins, for every protocol (HTTP, SMTP, IMAP): throttled per account and per address,
and traced in the event stream.

Back-off: an account (tenant + login) may fail `login_free_failures` times, an address
`login_free_failures_per_address` times; each further failure doubles the wait before the next
attempt (1 s, 2 s, 4 s … capped at `login_max_delay_seconds`). An attempt made too early is
refused at once, without checking the password: no scrypt for a guesser, no sleeping thread,
nothing blocks. Failures older than `login_window_seconds` are forgotten; a success clears the
account's count (not the address's). The state is in memory, per process, and bounded
(`login_tracked_max` keys each for accounts and addresses, the least recent evicted).

Adapters call `attempt(...)` OFF their event loop: it hashes a password and writes an event
(asyncio: `loop.run_in_executor`; Twisted: `threads.deferToThread`; FastAPI: a sync route).
Each maps `LoginRefused` to its own answer: HTTP 401 / 429 + Retry-After, SMTP 535 / 454,
IMAP `NO [AUTHENTICATIONFAILED]` / `NO [UNAVAILABLE]`.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from sandbox import events
from sandbox.auth import WRONG_CREDENTIALS
from sandbox.vocabulary import REFUSED

if TYPE_CHECKING:
    from sandbox.runtime import Sandbox
    from sandbox.settings import Settings

T = TypeVar("T")
LOGIN = "auth.login"  # the event of a refused login, whatever the protocol


class LoginRefused(Exception):
    """A refused login: wrong credentials (`retry_after` None) or too early after failures."""

    def __init__(self, reason: str, retry_after: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after

    @property
    def throttled(self) -> bool:
        return self.retry_after is not None


@dataclass
class _Failures:
    count: int
    last: float


class LoginThrottle:
    """Failure counts per account and per address, and the wait they impose."""

    def __init__(self, *, free_per_account: int = 5, free_per_address: int = 50,
                 window_seconds: float = 900, max_delay_seconds: float = 300,
                 max_tracked: int = 10_000, clock: Callable[[], float] = time.monotonic):
        self.free = {"account": free_per_account, "address": free_per_address}
        self.window = window_seconds
        self.max_delay = max_delay_seconds
        self.max_tracked = max_tracked
        self.clock = clock
        self._tables: dict[str, OrderedDict[object, _Failures]] = {
            "account": OrderedDict(), "address": OrderedDict()}
        self._lock = threading.Lock()  # held for a dict lookup: never long

    @classmethod
    def from_settings(cls, settings: Settings) -> LoginThrottle:
        return cls(free_per_account=settings.login_free_failures,
                   free_per_address=settings.login_free_failures_per_address,
                   window_seconds=settings.login_window_seconds,
                   max_delay_seconds=settings.login_max_delay_seconds,
                   max_tracked=settings.login_tracked_max)

    def _delay(self, kind: str, failures: _Failures | None, now: float) -> float:
        if failures is None or now - failures.last > self.window:
            return 0.0
        extra = failures.count - self.free[kind]
        if extra < 0:
            return 0.0
        wait = min(self.max_delay, 2.0 ** min(extra, 30))
        return max(0.0, failures.last + wait - now)

    def wait(self, account: tuple[str, str], address: str | None) -> float:
        """Seconds before this account may try again from this address (0: now)."""
        now = self.clock()
        with self._lock:
            return max(self._delay("account", self._tables["account"].get(_key(account)), now),
                       self._delay("address", self._tables["address"].get(address), now)
                       if address else 0.0)

    def failed(self, account: tuple[str, str], address: str | None) -> None:
        now = self.clock()
        with self._lock:
            self._count("account", _key(account), now)
            if address:
                self._count("address", address, now)

    def succeeded(self, account: tuple[str, str]) -> None:
        with self._lock:
            self._tables["account"].pop(_key(account), None)

    def _count(self, kind: str, key: object, now: float) -> None:
        table = self._tables[kind]
        failures = table.pop(key, None)
        if failures is None or now - failures.last > self.window:
            failures = _Failures(0, now)
        failures.count += 1
        failures.last = now
        table[key] = failures  # most recent last
        while len(table) > self.max_tracked:
            table.popitem(last=False)


def _key(account: tuple[str, str]) -> tuple[str, str]:
    tenant, login = account
    return tenant, login.casefold()


def record_failed_login(sandbox: Sandbox, *, protocol: str, tenant: str, login: str,
                        address: str | None, reason: str) -> None:
    """Trace a refused login (its own transaction): tenant and login as the client sent them."""
    with sandbox.store.session() as session:
        events.record(session, events.Event(
            tenant=tenant[:64], at=sandbox.clock.now(), service="auth", action=LOGIN,
            persona=login[:128], role=None, target=None, patient=None, outcome=REFUSED,
            detail={"protocole": protocol, "adresse": address, "raison": reason}))


def too_early(seconds: float) -> str:
    return (f"Trop de tentatives de connexion échouées : réessayez dans {math.ceil(seconds)} s "
            "(vérifiez la persona, le mot de passe et le bac à sable).")


def attempt(sandbox: Sandbox, *, protocol: str, tenant: str, login: str, address: str | None,
            check: Callable[[], T | None]) -> T:
    """Run `check` (None: wrong credentials) unless this account or address must wait first.

    Returns what `check` returned; raises `LoginRefused` (and traces it) otherwise. Blocking
    (scrypt, a database write): call it from a worker thread, never on an event loop.
    """
    throttle = sandbox.login_throttle
    account = (tenant, login)
    wait = throttle.wait(account, address)
    if wait > 0:
        refusal = LoginRefused(too_early(wait), retry_after=math.ceil(wait))
    else:
        found = check()
        if found is not None:
            throttle.succeeded(account)
            return found
        throttle.failed(account, address)
        refusal = LoginRefused(WRONG_CREDENTIALS)
    record_failed_login(sandbox, protocol=protocol, tenant=tenant, login=login, address=address,
                        reason=refusal.reason)
    raise refusal
