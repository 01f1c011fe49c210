"""Mailboxes and messages in the one store: delivery, listing, flags, expunge.

Delivery is one transaction for every recipient's copy and its event: a reply 250 is sent only
after it commits, so an accepted message is never lost. UIDs come from `uid_next` of the
mailbox row, incremented by an UPDATE first (the row lock serialises concurrent deliveries to
the same mailbox on PostgreSQL; SQLite serialises writers anyway).
"""

from __future__ import annotations

import queue
import threading
import time
import uuid
import weakref
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Row, bindparam, delete, insert, select, update
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from sandbox import events
from sandbox.messaging.models import MailboxRow, MessageRow, QuarantineRow, UidValidityCounter
from sandbox.runtime import Sandbox
from sandbox.vocabulary import REFUSED, SUCCESS

SERVICE = "mssante"
# Mon espace santé's messaging is in the MSSanté trust space: a professional writes to a
# patient at `<matricule INS>@patient.mssante.fr` (ANS, MSSanté « messagerie citoyenne »).
PATIENT_DOMAIN = "patient.mssante.fr"
PATIENT_BOX = "PAT"  # mailbox type of a patient's Mon espace santé messaging


@dataclass(frozen=True, slots=True)
class Sender:
    """Who submits a message (an authenticated persona, or the drill engine)."""

    login: str | None
    role: str | None
    mailbox: str | None


def normalise(address: str) -> str:
    return address.strip().strip("<>").lower()


def patient_mailbox(patient) -> str | None:
    """A person's Mon espace santé messaging box, `<matricule INS>@patient.mssante.fr` (None:
    unknown to the national INS base)."""
    matricule = patient.identity.matricule
    return f"{matricule}@{PATIENT_DOMAIN}" if matricule else None


# Statements of every message, built once with bound values (building a statement and its
# cache key cost more than executing it), in Core (the ORM's paths cost more than the SQL).
_BOXES = MailboxRow.__table__
_BOX_EXISTS = select(_BOXES.c.address).where(_BOXES.c.tenant == bindparam("box_tenant"),
                                              _BOXES.c.address == bindparam("box_address"))
_TAKE_UID = (update(_BOXES).where(_BOXES.c.tenant == bindparam("box_tenant"),
                                  _BOXES.c.address == bindparam("box_address"))
             .values(uid_next=_BOXES.c.uid_next + 1).returning(_BOXES.c.uid_next))
_MESSAGES = MessageRow.__table__
_STORE_MESSAGE = insert(_MESSAGES)
_LIST_MESSAGES = (select(*(c for c in _MESSAGES.c if c.name != "raw"))
                  .where(_MESSAGES.c.tenant == bindparam("box_tenant"),
                         _MESSAGES.c.mailbox == bindparam("box_address"))
                  .order_by(_MESSAGES.c.uid))


def mailbox_exists(session: Session, tenant: str, address: str) -> bool:
    """Checked for every recipient of every message."""
    return session.connection().execute(_BOX_EXISTS, {
        "box_tenant": tenant, "box_address": normalise(address)}).first() is not None


def mailbox_known(store, tenant: str, address: str) -> bool:
    """Whether `address` has a mailbox in `tenant`, asked for every recipient of every message:
    the addresses found are kept per store, so that most recipients cost no store session.

    Mailboxes are created only by seeding (an address not kept here is looked up, so a new one
    is found) and removed only with their tenant (`forget_mailboxes`, once that commits). A
    tenant deleted by another process with other mailboxes than it gets back stays known here
    until this process restarts: the delivery then fails (451, nothing stored) instead of the
    RCPT (550).
    """
    address = normalise(address)
    with _KNOWN_LOCK:
        known = _KNOWN.setdefault(store.engine, {}).setdefault(tenant, set())
        if address in known:
            return True
    with store.session() as session:
        if not mailbox_exists(session, tenant, address):
            return False
    known.add(address)  # a set forgotten meanwhile is no longer reachable: harmless
    return True


def forget_mailboxes(session: Session, tenant: str) -> None:
    """The tenant's mailboxes are being deleted in `session`: forget them when it commits."""
    session.info.setdefault(_FORGET, set()).add(tenant)


_KNOWN: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # engine -> tenant -> addresses
_KNOWN_LOCK = threading.Lock()
_FORGET = "santelab.forget_mailboxes"


@sa_event.listens_for(Session, "after_commit")
def _forget_committed(session: Session) -> None:
    tenants = session.info.pop(_FORGET, None)
    if tenants:
        with _KNOWN_LOCK:
            known = _KNOWN.get(session.get_bind(), {})
            for tenant in tenants:
                known.pop(tenant, None)


def domain_known(session: Session, tenant: str, domain: str) -> bool:
    """True when some mailbox of the tenant's Annuaire lives under `domain`."""
    return session.scalar(select(MailboxRow.address).where(
        MailboxRow.tenant == tenant,
        MailboxRow.address.like(f"%@{domain.lower()}")).limit(1)) is not None


def new_message_id() -> str:
    return f"mss-{uuid.uuid4().hex}"


def deliver(sandbox: Sandbox, tenant: str, sender: Sender, mail_from: str,
            recipients: list[str], raw: bytes, *, subject: str = "", kind: str = "normal",
            detail: dict | None = None, message_id: str | None = None) -> str:
    """Store one copy per recipient mailbox and the event, in one transaction; the id."""
    message_id = message_id or new_message_id()
    now = sandbox.clock.now()

    def job(session: Session) -> None:
        _deliver(session, tenant, mail_from, sorted({normalise(r) for r in recipients}), raw,
                 subject=subject, kind=kind, message_id=message_id, now=now)
        events.record(session, events.Event(
            tenant=tenant, at=now, service=SERVICE,
            action="mssante.inject" if kind == "piege" else "mssante.send",
            persona=sender.login, role=sender.role, target=f"message/{message_id}",
            patient=None, outcome=SUCCESS,
            detail={"de": mail_from, "a": sorted(recipients), "objet": subject[:200],
                    "taille": len(raw), **(detail or {})}))

    group_commit(sandbox.store).run(job)
    return message_id


class GroupCommit:
    """One writer thread per store: concurrent deliveries share one transaction and one fsync.

    `run(job)` returns once the transaction holding `job` has committed (so the SMTP 250 still
    follows the commit). If a batch fails, its jobs are retried one by one, so one bad message
    fails alone. With one sender at a time a batch is one job: same latency as before.
    """

    MAX_BATCH = 200

    def __init__(self, store):
        self.store = store
        self.jobs: queue.Queue = queue.Queue()
        threading.Thread(target=self._loop, daemon=True, name="santelab-mss-commit").start()

    def run(self, job) -> None:
        done: Future = Future()
        self.jobs.put((job, done))
        done.result()

    def _loop(self) -> None:
        while True:
            batch = [self.jobs.get()]
            while len(batch) < self.MAX_BATCH:
                try:
                    batch.append(self.jobs.get_nowait())
                except queue.Empty:
                    break
            try:
                with self.store.session() as session:
                    for job, _done in batch:
                        job(session)
            except Exception:
                for job, done in batch:
                    try:
                        with self.store.session() as session:
                            job(session)
                    except Exception as exc:
                        done.set_exception(exc)
                    else:
                        done.set_result(None)
            else:
                for _job, done in batch:
                    done.set_result(None)


_COMMITTERS: dict[int, GroupCommit] = {}
_COMMITTERS_LOCK = threading.Lock()


def group_commit(store) -> GroupCommit:
    with _COMMITTERS_LOCK:
        committer = _COMMITTERS.get(id(store))
        if committer is None or committer.store is not store:
            committer = _COMMITTERS[id(store)] = GroupCommit(store)
        return committer


def _deliver(session: Session, tenant: str, mail_from: str, recipients: list[str],
             raw: bytes, *, subject: str, kind: str, message_id: str, now: datetime) -> None:
    """One copy per recipient, under the UID each mailbox gives it."""
    connection = session.connection()
    for rcpt in recipients:
        connection.execute(_STORE_MESSAGE, dict(
            tenant=tenant, mailbox=rcpt, uid=_take_uid(session, tenant, rcpt),
            message_id=message_id, sender=normalise(mail_from), subject=subject,
            received_at=now, size=len(raw), flags=[], kind=kind, raw=raw))


def _take_uid(session: Session, tenant: str, mailbox: str) -> int:
    """The next UID of `mailbox`, taken (never given twice: expunges do not lower it) in one
    UPDATE … RETURNING, whose row lock serialises concurrent deliveries on PostgreSQL."""
    uid = session.connection().execute(_TAKE_UID, {
        "box_tenant": tenant, "box_address": mailbox}).scalar()
    if uid is None:
        raise LookupError(mailbox)
    return uid - 1


def quarantine(sandbox: Sandbox, tenant: str, sender: Sender, mail_from: str,
               recipients: list[str], raw: bytes, reason: str) -> str:
    """Keep a refused message with its reason, and trace the refusal."""
    qid = f"qua-{uuid.uuid4().hex}"
    now = sandbox.clock.now()
    with sandbox.store.session() as session:
        session.add(QuarantineRow(tenant=tenant, id=qid, at=now, sender=normalise(mail_from),
                                  recipients=list(recipients), reason=reason, raw=raw))
        events.record(session, events.Event(
            tenant=tenant, at=now, service=SERVICE, action="mssante.quarantine",
            persona=sender.login, role=sender.role, target=f"quarantaine/{qid}", patient=None,
            outcome=REFUSED, detail={"raison": reason, "de": mail_from, "a": recipients}))
    return qid


def refusal(sandbox: Sandbox, tenant: str, sender: Sender, action: str, reason: str,
            **detail) -> None:
    """Trace a refused SMTP step (sender spoofing, unknown recipient…) in the event stream."""
    with sandbox.store.session() as session:
        events.record(session, events.Event(
            tenant=tenant, at=sandbox.clock.now(), service=SERVICE, action=action,
            persona=sender.login, role=sender.role, target=None, patient=None,
            outcome=REFUSED, detail={"raison": reason, **detail}))


# --- reading (IMAP and the client) -----------------------------------------------------------

def list_messages(session: Session, tenant: str, mailbox: str) -> list[Row]:
    """The mailbox's messages in UID order, without their bytes: read-only rows (Core, one
    statement built once), since an IMAP client polling its mailbox reads them every time."""
    return list(session.connection().execute(_LIST_MESSAGES, {
        "box_tenant": tenant, "box_address": normalise(mailbox)}))



def get_message(session: Session, tenant: str, mailbox: str, uid: int) -> MessageRow | None:
    return session.get(MessageRow, (tenant, normalise(mailbox), uid))


def mailbox_state(session: Session, tenant: str, mailbox: str) -> MailboxRow | None:
    return session.get(MailboxRow, (tenant, normalise(mailbox)))


def messages_by_uid(session: Session, tenant: str, mailbox: str, uids: list[int]
                    ) -> list[MessageRow]:
    """The stored messages among `uids`, raw bytes included (read in chunks: SQLite bounds
    the number of parameters of a statement)."""
    rows = []
    for start in range(0, len(uids), 500):
        rows += session.scalars(select(MessageRow).where(
            MessageRow.tenant == tenant, MessageRow.mailbox == normalise(mailbox),
            MessageRow.uid.in_(uids[start:start + 500])))
    return rows


def uid_validity(sandbox: Sandbox, tenant: str, mailbox: str) -> int:
    """The mailbox's UIDVALIDITY, given at its first use by IMAP: the time in seconds, or one
    more than the last value this store gave if that is greater (two resets in one second).
    A reset tenant or a copied template starts at 0, so it always gets a new, greater one."""
    address = normalise(mailbox)
    with sandbox.store.session() as session:
        box = session.get(MailboxRow, (tenant, address))
        if box is None or box.uid_validity:
            return box.uid_validity if box else 0
        counter = session.get(UidValidityCounter, 1, with_for_update=True)
        value = int(time.time())
        if counter is None:
            session.add(UidValidityCounter(id=1, last=value))
        else:
            value = counter.last = max(value, counter.last + 1)
        session.execute(update(MailboxRow).where(
            MailboxRow.tenant == tenant, MailboxRow.address == address,
            MailboxRow.uid_validity == 0).values(uid_validity=value))
    with sandbox.store.session() as session:  # another session may have given it first
        return session.get(MailboxRow, (tenant, address)).uid_validity


def copy_messages(sandbox: Sandbox, tenant: str, mailbox: str, uids: list[int]) -> list[int]:
    """IMAP COPY into the same mailbox: new copies with new UIDs and the same flags."""
    address = normalise(mailbox)
    created = []
    with sandbox.store.session() as session:
        for row in sorted(messages_by_uid(session, tenant, address, uids), key=lambda r: r.uid):
            uid = _take_uid(session, tenant, address)
            session.execute(insert(MessageRow).values(
                tenant=tenant, mailbox=address, uid=uid, message_id=row.message_id,
                sender=row.sender, subject=row.subject, received_at=row.received_at,
                size=row.size, flags=list(row.flags or []), kind=row.kind, raw=row.raw))
            created.append(uid)
    return created


def set_flags(sandbox: Sandbox, tenant: str, mailbox: str, uids: list[int], flags: list[str],
              mode: int = 1, *, persona: str | None = None, role: str | None = None
              ) -> dict[int, list[str]]:
    """mode 1 adds, -1 removes, 0 replaces; the new flags per uid.

    Setting `$Phishing` (or `Junk`) is a report: it is recorded as a `mssante.report` event.
    """
    result: dict[int, list[str]] = {}
    reported: list[str] = []
    with sandbox.store.session() as session:
        rows = session.scalars(select(MessageRow).where(
            MessageRow.tenant == tenant, MessageRow.mailbox == normalise(mailbox),
            MessageRow.uid.in_(uids)))
        for row in rows:
            old = list(row.flags or [])
            if mode == 0:
                new = list(dict.fromkeys(flags))
            elif mode > 0:
                new = old + [f for f in flags if f not in old]
            else:
                new = [f for f in old if f not in flags]
            if new != old:
                row.flags = new
            if any(f in REPORT_FLAGS for f in new) and not any(f in REPORT_FLAGS for f in old):
                reported.append(row.message_id)
            result[row.uid] = new
        for message_id in reported:
            events.record(session, report_event(sandbox, tenant, persona, role, mailbox,
                                                message_id, via="imap"))
    return result


REPORT_FLAGS = ("$Phishing", "Junk", "$Junk")


def report_event(sandbox: Sandbox, tenant: str, persona: str | None, role: str | None,
                 mailbox: str, message_id: str, via: str) -> events.Event:
    return events.Event(tenant=tenant, at=sandbox.clock.now(), service=SERVICE,
                        action="mssante.report", persona=persona, role=role,
                        target=f"message/{message_id}", patient=None, outcome=SUCCESS,
                        detail={"boite": normalise(mailbox), "via": via})


def expunge(sandbox: Sandbox, tenant: str, mailbox: str) -> list[int]:
    """Delete the messages flagged \\Deleted; their UIDs."""
    with sandbox.store.session() as session:
        rows = [r for r in list_messages(session, tenant, mailbox)
                if "\\Deleted" in (r.flags or [])]
        uids = [r.uid for r in rows]
        if uids:
            session.execute(delete(MessageRow).where(
                MessageRow.tenant == tenant, MessageRow.mailbox == normalise(mailbox),
                MessageRow.uid.in_(uids)))
    return uids
