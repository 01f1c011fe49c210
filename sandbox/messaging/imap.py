"""MSSanté IMAP: Twisted's IMAP4 server over the store's mailboxes (no system package).

Why Twisted and not Dovecot: it runs from pip alone (Binder, CI, a student's laptop), reads the
same SQL store as SMTP (SQLite or PostgreSQL, with tenants) instead of a Maildir per process,
and its IMAP4rev1 grammar (FETCH, SEARCH, STORE, UID, EXPUNGE, STARTTLS) is maintained.

Each login sees one folder, INBOX: the persona's MSSanté mailbox. LOGIN is refused before
STARTTLS (Twisted advertises LOGINDISABLED). The reactor runs in one daemon thread for the
process; servers are started and stopped on it with `callFromThread`.
"""

from __future__ import annotations

import contextlib
import io
import threading
from email import message_from_bytes
from email import policy as email_policy
from email.utils import format_datetime

from twisted.internet import defer, protocol, reactor
from twisted.mail import imap4
from zope.interface import implementer

from sandbox.faults import FaultBook
from sandbox.messaging import mailstore
from sandbox.messaging.reads import record_imap_read
from sandbox.messaging.smtp import Authenticator
from sandbox.runtime import Sandbox

SYSTEM_FLAGS = ["\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft", "$Phishing"]


def _ascii(text: str) -> str:
    return text.encode("ascii", "replace").decode("ascii")


@implementer(imap4.IMessagePart)
class Part:
    """One MIME part, parsed lazily from bytes."""

    def __init__(self, raw: bytes):
        self.raw = raw
        self._msg = None

    @property
    def msg(self):
        if self._msg is None:
            self._msg = message_from_bytes(self.raw, policy=email_policy.compat32)
        return self._msg

    def getHeaders(self, negate, *names):
        wanted = {n.decode() if isinstance(n, bytes) else n for n in names}
        wanted = {n.lower() for n in wanted}
        headers = {}
        for key, value in self.msg.items():
            low = key.lower()
            if (low in wanted) != bool(negate) or (negate and not wanted):
                headers[low] = _ascii(str(value))
        return headers

    def getBodyFile(self):
        _head, sep, body = self.raw.partition(b"\r\n\r\n")
        if not sep:
            _head, sep, body = self.raw.partition(b"\n\n")
        return io.BytesIO(body)

    def getSize(self):
        return len(self.raw)

    def isMultipart(self):
        return self.msg.is_multipart()

    def getSubPart(self, part):
        payload = self.msg.get_payload()
        if not isinstance(payload, list) or part >= len(payload):
            raise IndexError(part)
        return Part(payload[part].as_bytes())


@implementer(imap4.IMessage, imap4.IMessageFile)
class Message(Part):
    def __init__(self, row, raw: bytes):
        super().__init__(raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
        self.row = row

    def open(self):
        return io.BytesIO(self.raw)

    def getUID(self):
        return self.row.uid

    def getFlags(self):
        return list(self.row.flags or [])

    def getInternalDate(self):
        return format_datetime(self.row.received_at)


_FLAG_KEYS = {"SEEN": ("\\Seen", True), "UNSEEN": ("\\Seen", False),
              "FLAGGED": ("\\Flagged", True), "UNFLAGGED": ("\\Flagged", False),
              "DELETED": ("\\Deleted", True), "UNDELETED": ("\\Deleted", False),
              "ANSWERED": ("\\Answered", True), "UNANSWERED": ("\\Answered", False),
              "DRAFT": ("\\Draft", True), "UNDRAFT": ("\\Draft", False)}
_HEADER_KEYS = {"SUBJECT": "subject", "FROM": "from", "TO": "to", "CC": "cc", "BCC": "bcc"}


class SearchQuery:
    """IMAP SEARCH keys (RFC 3501 §6.4.4, the common subset) as a predicate on messages.

    Twisted's own fallback search compares bytes with str on Python 3; this one is ours.
    """

    def __init__(self, tokens: list):
        self.tokens = [t.decode("utf-8", "replace") if isinstance(t, bytes) else t
                       for t in tokens]

    def _next(self):
        if not self.tokens:
            raise imap4.IllegalQueryError("Critère de recherche incomplet")
        return self.tokens.pop(0)

    def parse(self):
        predicates = []
        while self.tokens:
            predicates.append(self._one())
        return lambda seq, row, text: all(p(seq, row, text) for p in predicates)

    def _one(self):
        token = self._next()
        if isinstance(token, list):
            return SearchQuery(token).parse()
        key = token.upper()
        if key == "ALL" or key in ("OLD", "RECENT", "NEW"):
            return lambda seq, row, text: key != "RECENT"
        if key in _FLAG_KEYS:
            flag, present = _FLAG_KEYS[key]
            return lambda seq, row, text: (flag in (row.flags or [])) == present
        if key in ("KEYWORD", "UNKEYWORD"):
            flag = self._next()
            return lambda seq, row, text: (flag in (row.flags or [])) == (key == "KEYWORD")
        if key == "NOT":
            inner = self._one()
            return lambda seq, row, text: not inner(seq, row, text)
        if key == "OR":
            left, right = self._one(), self._one()
            return lambda seq, row, text: left(seq, row, text) or right(seq, row, text)
        if key in ("SUBJECT", "FROM"):  # stored columns: no message to parse
            needle = self._next().lower()
            column = "subject" if key == "SUBJECT" else "sender"
            return lambda seq, row, text: needle in (getattr(row, column) or "").lower()
        if key in _HEADER_KEYS or key == "HEADER":
            name = _HEADER_KEYS.get(key) or self._next().lower()
            needle = self._next().lower()
            return lambda seq, row, text: needle in str(text(row).get(name, "")).lower()
        if key in ("BODY", "TEXT"):
            needle = self._next().lower().encode()
            return lambda seq, row, text: needle in text(row).raw_bytes.lower()
        if key == "UID":
            ids = imap4.parseIdList(self._next().encode())
            return lambda seq, row, text: row.uid in _bounded(ids, text.max_uid)
        if key[:1].isdigit() or key[:1] == "*":
            ids = imap4.parseIdList(key.encode())
            return lambda seq, row, text: seq in _bounded(ids, text.count)
        raise imap4.IllegalQueryError(f"Critère de recherche non pris en charge : {token}")


def _bounded(ids, last):
    _set_last(ids, last)
    return ids


def _set_last(ids, last) -> None:
    """Resolve `*` in a message set (once: a set used twice keeps its first resolution)."""
    with contextlib.suppress(ValueError):
        ids.last = last


class _Texts:
    """Parsed messages of one search, loaded once and only when a key needs them."""

    def __init__(self, inbox, rows):
        self.inbox = inbox
        self.cache = {}
        self.max_uid = rows[-1].uid if rows else 0
        self.count = len(rows)

    def __call__(self, row):
        if row.uid not in self.cache:
            with self.inbox.sandbox.store.session() as session:
                raw = mailstore.get_message(session, self.inbox.tenant, self.inbox.address,
                                            row.uid).raw
            parsed = message_from_bytes(raw, policy=email_policy.default)
            parsed.raw_bytes = raw
            self.cache[row.uid] = parsed
        return self.cache[row.uid]


@implementer(imap4.IMailbox, imap4.ISearchableMailbox)
class Inbox:
    """The persona's mailbox, read from the store at each command (other writers see it)."""

    def __init__(self, sandbox: Sandbox, tenant: str, address: str, persona: str, role: str):
        self.sandbox = sandbox
        self.tenant = tenant
        self.address = address
        self.persona = persona
        self.role = role
        self.listeners = []

    def _rows(self):
        with self.sandbox.store.session() as session:
            return mailstore.list_messages(session, self.tenant, self.address)

    def _state(self):
        with self.sandbox.store.session() as session:
            return mailstore.mailbox_state(session, self.tenant, self.address)

    def getFlags(self):
        return SYSTEM_FLAGS

    def getHierarchicalDelimiter(self):
        return "/"

    def getUIDValidity(self):
        return self._state().uid_validity

    def getUIDNext(self):
        return self._state().uid_next

    def getUID(self, message):
        rows = self._rows()
        return rows[message - 1].uid

    def getMessageCount(self):
        with self.sandbox.store.session() as session:
            return mailstore.count_messages(session, self.tenant, self.address)

    def getRecentCount(self):
        return 0

    def getUnseenCount(self):
        return sum(1 for r in self._rows() if "\\Seen" not in (r.flags or []))

    def isWriteable(self):
        return True

    def destroy(self):
        raise imap4.MailboxException("Suppression de la boîte de réception impossible")

    def requestStatus(self, names):
        counts = {"MESSAGES": self.getMessageCount, "RECENT": self.getRecentCount,
                  "UIDNEXT": self.getUIDNext, "UIDVALIDITY": self.getUIDValidity,
                  "UNSEEN": self.getUnseenCount}
        return {name: counts[name]() for name in names if name in counts}

    def addListener(self, listener):
        self.listeners.append(listener)

    def removeListener(self, listener):
        if listener in self.listeners:
            self.listeners.remove(listener)

    def addMessage(self, message, flags=(), date=None):
        raise imap4.MailboxException(
            "APPEND non pris en charge : envoyez vos messages par SMTP (soumission)")

    def expunge(self):
        return mailstore.expunge(self.sandbox, self.tenant, self.address)

    def _select(self, messages, uid):
        rows = self._rows()
        if not rows:
            return []
        _set_last(messages, rows[-1].uid if uid else len(rows))
        if uid:
            return [(seq, r) for seq, r in enumerate(rows, 1) if r.uid in messages]
        return [(seq, rows[seq - 1]) for seq in messages if 0 < seq <= len(rows)]

    def search(self, query, uid=0):
        """Sequence numbers matching `query` (Twisted maps them to UIDs for UID SEARCH)."""
        rows = self._rows()
        predicate = SearchQuery(list(query)).parse()
        texts = _Texts(self, rows)
        return [seq for seq, row in enumerate(rows, 1) if predicate(seq, row, texts)]

    def fetch(self, messages, uid):
        selected = self._select(messages, uid)
        if not selected:
            return []
        with self.sandbox.store.session() as session:
            raws = {r.uid: mailstore.get_message(session, self.tenant, self.address, r.uid).raw
                    for _, r in selected}
        record_imap_read(self.sandbox, tenant=self.tenant, persona=self.persona, role=self.role,
                         mailbox=self.address, message_ids=[r.message_id for _, r in selected])
        return [(seq, Message(r, raws[r.uid])) for seq, r in selected]

    def store(self, messages, flags, mode, uid):
        selected = self._select(messages, uid)
        flags = [f.decode() if isinstance(f, bytes) else f for f in flags]
        new = mailstore.set_flags(self.sandbox, self.tenant, self.address,
                                  [r.uid for _, r in selected], flags, mode,
                                  persona=self.persona, role=self.role)
        return {seq: new.get(r.uid, []) for seq, r in selected}


@implementer(imap4.IAccount)
class Account:
    def __init__(self, inbox: Inbox):
        self.inbox = inbox

    def listMailboxes(self, ref, wildcard):
        import fnmatch

        pattern = (wildcard.decode() if isinstance(wildcard, bytes) else wildcard) or "*"
        pattern = pattern.replace("%", "*")
        return [("INBOX", self.inbox)] if fnmatch.fnmatch("INBOX", pattern.upper()) else []

    def select(self, name, rw=True):
        name = name.decode() if isinstance(name, bytes) else name
        return self.inbox if name.upper() == "INBOX" else None

    def create(self, pathspec):
        return False

    def delete(self, name):
        raise imap4.MailboxException("Les dossiers MSSanté du bac à sable ne se suppriment pas")

    def rename(self, oldname, newname):
        raise imap4.MailboxException("Les dossiers MSSanté du bac à sable ne se renomment pas")

    def isSubscribed(self, name):
        return True

    def subscribe(self, name):
        return True

    def unsubscribe(self, name):
        raise imap4.MailboxException("INBOX reste abonnée")


def _sets_seen(item) -> bool:
    """RFC 3501 §6.4.5: BODY[...] (not BODY.PEEK), RFC822 and RFC822.TEXT set \\Seen."""
    parser = imap4._FetchParser
    if isinstance(item, parser.BodyStructure):
        return False
    if isinstance(item, parser.Body):
        return not item.peek
    return isinstance(item, parser.RFC822 | parser.RFC822Text)


class MssanteIMAPServer(imap4.IMAP4Server):
    """Twisted's IMAP4 server with the sandbox's login (persona or persona@tenant)."""

    def __init__(self, sandbox: Sandbox, context_factory):
        super().__init__(contextFactory=context_factory)
        self.sandbox = sandbox
        self.authenticator = Authenticator(sandbox)

    def sendServerGreeting(self):
        self.sendPositiveResponse(
            message=b"MSSante (bac a sable santelab) pret : STARTTLS puis LOGIN")

    def do_LOGIN(self, tag, user, passwd):
        if b"LOGINDISABLED" in self.capabilities():
            self.sendBadResponse(
                tag, b"[PRIVACYREQUIRED] LOGIN refuse sans chiffrement : envoyez STARTTLS")
            return
        submitter = self.authenticator.check(user.decode("utf-8", "replace"),
                                             passwd.decode("utf-8", "replace"))
        if submitter is None:
            self.sendNegativeResponse(
                tag, b"[AUTHENTICATIONFAILED] Identifiant ou mot de passe incorrect")
            return
        fault = self.factory.faults.active(submitter.actor.tenant).get(mailstore.SERVICE)
        if fault is not None and fault.mode in ("indisponible", "erreur"):
            self.sendNegativeResponse(
                tag, b"[UNAVAILABLE] " + _ascii(fault.message or "Service MSSante indisponible "
                                                "(panne simulee) : reessayez plus tard").encode())
            return
        if submitter.mailbox is None:
            self.sendNegativeResponse(
                tag, b"[AUTHORIZATIONFAILED] Cette persona n'a pas de boite MSSante")
            return
        inbox = Inbox(self.sandbox, submitter.actor.tenant, submitter.mailbox,
                      submitter.actor.login, submitter.actor.role)
        self.account = Account(inbox)
        self.state = "auth"
        self.sendPositiveResponse(tag, b"LOGIN reussi")
        self.setTimeout(self.POSTAUTH_TIMEOUT)

    unauth_LOGIN = (do_LOGIN, imap4.IMAP4Server.arg_astring, imap4.IMAP4Server.arg_finalastring)

    def do_FETCH(self, tag, messages, query, uid=0):
        """Twisted never sets \\Seen on FETCH: do it first, then let it answer."""
        if any(_sets_seen(item) for item in query):
            self.mbox.store(messages, ["\\Seen"], 1, uid)
        super().do_FETCH(tag, messages, query, uid)

    select_FETCH = (do_FETCH, imap4.IMAP4Server.arg_seqset, imap4.IMAP4Server.arg_fetchatt)


class IMAPFactory(protocol.ServerFactory):
    def __init__(self, sandbox: Sandbox, context_factory):
        self.sandbox = sandbox
        self.context_factory = context_factory
        self.faults = FaultBook(sandbox)

    def buildProtocol(self, addr):
        server = MssanteIMAPServer(self.sandbox, self.context_factory)
        server.factory = self
        return server


_REACTOR_LOCK = threading.Lock()
_reactor_thread: threading.Thread | None = None


def _ensure_reactor() -> None:
    global _reactor_thread
    with _REACTOR_LOCK:
        if _reactor_thread is None:
            _reactor_thread = threading.Thread(
                target=reactor.run, kwargs={"installSignalHandlers": False}, daemon=True,
                name="santelab-imap-reactor")
            _reactor_thread.start()


def _blocking(func, *args):
    """Run `func` in the reactor thread and wait for its result."""
    from twisted.internet import threads

    return threads.blockingCallFromThread(reactor, lambda: defer.maybeDeferred(func, *args))


class IMAPServer:
    """One listening IMAP server; `start()`/`stop()` from any thread."""

    def __init__(self, sandbox: Sandbox, credentials, *, host: str, port: int):
        self.factory = IMAPFactory(sandbox, credentials.twisted_options())
        self.host = host
        self.port = port
        self._listener = None

    def start(self) -> IMAPServer:
        _ensure_reactor()
        self._listener = _blocking(reactor.listenTCP, self.port, self.factory, 50, self.host)
        self.port = self._listener.getHost().port
        return self

    def stop(self) -> None:
        if self._listener is not None:
            _blocking(self._listener.stopListening)
            self._listener = None
