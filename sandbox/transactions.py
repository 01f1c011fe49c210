"""How a request's database transaction ends: the one commit path of the HTTP services.

A service route gets its transaction from `injection.service_context` and never commits or
rolls it back itself. It ends in exactly one of these ways, always before the first byte of
the response is sent (a client never sees a success that is not durable):

1. The route returns: `committing` (which `ServiceRouter` wraps around every sync route)
   settles it on the route's own thread, before FastAPI serialises the answer — committed
   when the answer is a success, rolled back when it is a Response carrying an error status.
   A failed commit becomes a French 503 and nothing of the request is kept.
2. The route raises (or a route outside `ServiceRouter` returns): `TransactionMiddleware`
   settles it when the response starts (committed below 400, rolled back otherwise), on a
   commit thread; a failed commit replaces the response by the same 503.
3. The route refuses (`ServiceContext.refuse`): the transaction is rolled back at once, which
   gives the SQLite writer lock back, and the refusal is traced in a transaction of its own,
   committed on the spot; the route then raises the error, and 2. only closes the session.
   (`ServiceContext.record_at_once` writes such a transaction of its own without refusing:
   a DMP break-glass alert, kept whatever becomes of the request.)

What a route needs to see of its own writes before it answers (a SELECT after an UPDATE, a
unique constraint to catch), it flushes; the commit stays here. (After a failed flush
SQLAlchemy wants the session rolled back before any other use: dmp/crud.py does so when a
concurrent request filed the same document first.) The FastAPI yield dependency's
exit cannot be the commit: it runs after the response is sent.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session

from sandbox.errors import ServiceError, log
from sandbox.store import Store

PENDING_KEY = "santelab.transactions"

# Requests inside the app at once; the others wait here, on the event loop, at no cost. More
# than the pooled connections and anyio's 40 worker threads would deadlock under load (seen
# with 200 clients); and with one GIL, more than a few route threads only fight over it: 32
# admitted gave 25-40 % less throughput than 4 at 50 clients (benchmarks/services.py).
MAX_CONCURRENT_REQUESTS = 4


@dataclass
class RequestTransaction:
    """One service transaction of a request, and the request's list of those not yet settled
    (kept by the middleware, which every app of the sandbox has)."""

    session: Session
    pending: list[Session]

    def settle_here(self, ok: bool) -> None:
        """Commit (or roll back) and close it on the calling thread, unless already settled.

        Called by `committing` on the route's worker thread: the middleware then has nothing
        left to settle, which spares each request a second hop to a commit thread.
        """
        if self.session not in self.pending:
            return
        self.pending.remove(self.session)
        try:
            _settle([self.session], ok)
        except Exception as exc:
            log.exception("commit failed")
            raise commit_failed() from exc

    def abandon(self) -> None:
        """Roll back what the request wrote so far (a refusal follows); the SQLite writer lock
        is given back, so a transaction of its own can trace the refusal."""
        self.session.rollback()


@asynccontextmanager
async def request_transaction(request: Request, store: Store, *,
                              autoflush: bool = True) -> AsyncIterator[RequestTransaction]:
    """Begin the transaction of one service for this request and hand it to the settling above.

    Async: no worker-thread hop; opening a session does no I/O (connections are lazy).
    """
    pending = request.scope[PENDING_KEY]
    session = store.begin()
    session.autoflush = autoflush
    pending.append(session)
    try:
        yield RequestTransaction(session, pending)
    finally:
        if session in pending:  # the middleware has not settled it (no response yet)
            pending.remove(session)
            session.close()


class TransactionMiddleware:
    """Settles the request's transactions when the response starts, before it is sent, and
    admits at most `max_concurrent` requests at once."""

    def __init__(self, app, max_concurrent: int = MAX_CONCURRENT_REQUESTS):
        self.app = app
        self.slots = asyncio.Semaphore(max_concurrent)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        pending: list[Session] = []
        scope[PENDING_KEY] = pending
        failed = False

        async def settle_then_send(message) -> None:
            nonlocal failed
            if failed:
                return  # the original response is replaced by the 503 already sent
            if message["type"] == "http.response.start" and pending:
                sessions = list(pending)
                pending.clear()
                ok = message["status"] < 400
                try:
                    await _in_commit_thread(_settle, sessions, ok)
                except Exception:
                    log.exception("commit failed")
                    failed = True
                    await commit_failed().response()(scope, receive, send)
                    return
            await send(message)

        async with self.slots:
            try:
                await self.app(scope, receive, settle_then_send)
            finally:
                if pending:
                    await _in_commit_thread(_settle, list(pending), False)
                    pending.clear()


def commit_failed() -> ServiceError:
    return ServiceError(503, "Écriture impossible dans la base du bac à sable : rien n'a été "
                             "enregistré ; réessayez.", code="transient")


def committing(endpoint: Callable) -> Callable:
    """Wrap a sync route so that its service transactions settle on the route's own thread.

    The route returned, so its response will be a success unless it is a Response object
    carrying an error status: commit (else roll back) before FastAPI serialises it. An
    exception leaves the transaction to the middleware, which rolls it back.
    """
    if inspect.iscoroutinefunction(endpoint):
        return endpoint

    @functools.wraps(endpoint)
    def run(*args: Any, **kwargs: Any) -> Any:
        result = endpoint(*args, **kwargs)
        ok = getattr(result, "status_code", 200) < 400
        for value in kwargs.values():
            transaction = getattr(value, "transaction", None)
            if isinstance(transaction, RequestTransaction):
                transaction.settle_here(ok)
        return result

    return run


# Commits run on their own threads, not on anyio's (shared with the sync routes): a route
# thread may be waiting for a pooled connection that only a commit will give back.
_COMMITS = ThreadPoolExecutor(max_workers=8, thread_name_prefix="santelab-commit")


async def _in_commit_thread(function, *args) -> None:
    await asyncio.get_running_loop().run_in_executor(_COMMITS, function, *args)


def _settle(sessions: list[Session], commit: bool) -> None:
    try:
        for session in sessions:
            if commit:
                session.commit()
            else:
                session.rollback()
    finally:
        for session in sessions:
            session.close()
