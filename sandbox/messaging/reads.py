"""Mail read over IMAP, traced like every other access: one event per FETCH of messages.

The HTTP route traces each read itself (`mssante.read`); an IMAP client fetches many messages
at once, so the IMAP server calls `record_imap_read` once per FETCH with the messages it
served (their ids listed up to `LISTED`, all of them counted). Blocking (a database write):
call it where the IMAP server already reads the store, off any asyncio loop.
"""

from __future__ import annotations

from sandbox import events
from sandbox.messaging import mailstore
from sandbox.runtime import Sandbox
from sandbox.vocabulary import SUCCESS

READ = "mssante.read"
LISTED = 50  # message ids kept in one event's detail


def record_imap_read(sandbox: Sandbox, *, tenant: str, persona: str | None, role: str | None,
                     mailbox: str, message_ids: list[str]) -> None:
    if not message_ids:
        return
    target = f"message/{message_ids[0]}" if len(message_ids) == 1 else None
    with sandbox.store.session() as session:
        events.record(session, events.Event(
            tenant=tenant, at=sandbox.clock.now(), service=mailstore.SERVICE, action=READ,
            persona=persona, role=role, target=target, patient=None, outcome=SUCCESS,
            detail={"boite": mailstore.normalise(mailbox), "via": "imap",
                    "messages": len(message_ids), "ids": message_ids[:LISTED]}))
