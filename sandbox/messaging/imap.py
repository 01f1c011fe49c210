"""MSSanté IMAP: Twisted's IMAP4 server over the store's mailboxes (no system package).

Why Twisted and not Dovecot: it runs from pip alone (Binder, CI, a student's laptop), reads the
same SQL store as SMTP (SQLite or PostgreSQL, with tenants) instead of a Maildir per process.
Twisted provides the connection, STARTTLS, line and literal framing and the FETCH grammar; the
commands that touch mail are ours (`imap_session`), checked against Dovecot by
`tests/messaging/test_imap_dovecot.py`.

Each login sees one folder, INBOX: the persona's MSSanté mailbox. LOGIN is refused before
STARTTLS (LOGINDISABLED). The reactor runs in one daemon thread for the process; whatever
reads the store (login, SELECT, FETCH, SEARCH, STORE, COPY, EXPUNGE, the IDLE poll) runs in
its thread pool, and the connection's next commands wait for the answer (`_run`), so one
client's large command never stalls the others.

Replies are in French without accents: an IMAP line is 7-bit unless UTF8=ACCEPT (RFC 6855) is
enabled, and neither RFC 2047 nor modified UTF-7 is decoded by clients in response texts,
so "boite ouverte en lecture seule" is what a student reads best in any client.
"""

from __future__ import annotations

import re
import threading
import unicodedata

from twisted.internet import defer, protocol, reactor, task, threads
from twisted.mail import imap4
from twisted.python import log
from zope.interface import implementer

from sandbox.faults import FaultBook
from sandbox.messaging import mailstore
from sandbox.messaging.imap_search import CHARSETS, SearchError
from sandbox.messaging.imap_sequence import SequenceError, parse_sequence_set, tokens
from sandbox.messaging.imap_session import STATUS_ITEMS, ReadOnly, Reply, Session, status
from sandbox.messaging.smtp import Authenticator
from sandbox.runtime import Sandbox


def ascii_text(text: str) -> bytes:
    """French text for a 7-bit IMAP line: accents dropped, nothing that ends the line."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore")
    return re.sub(rb"[\r\n]+", b" ", plain)


# Twisted's own English replies that can still reach a client, in French.
_TWISTED_TEXTS = {
    b"Missing command": "commande manquante", b"Null command": "ligne vide",
    b"Unsupported command": "commande inconnue ou non permise dans cet etat",
    b"Missing argument": "argument manquant", b"Unmatched quotes": "guillemets non fermes",
    b"Malformed literal": "litteral mal forme", b"Mismatched parenthesis": "parentheses "
    "non appariees", b"Missing parenthesis": "parenthese manquante",
    b"Malformed ATOM": "atome mal forme", b"Malformed flag": "drapeau mal forme",
    b"Mailbox not created": "creation de dossier impossible : seule INBOX existe",
    b"You cannot delete the inbox": "INBOX ne se supprime pas",
    b"No such mailbox": "boite inconnue : seule INBOX existe",
    b"Could not open mailbox": "boite inconnue : seule INBOX existe",
    b"Too many arguments for command": "trop d'arguments pour cette commande",
    b"Bad literal size": "taille de litteral invalide",
    b"Missing charset identifier": "nom de jeu de caracteres manquant",
}
_PREFIXES = (b"Illegal syntax: ", b"Illegal operation: ", b"Server error: ")


def french(message: bytes) -> bytes:
    for prefix in _PREFIXES:
        if message.startswith(prefix):
            message = message[len(prefix):]
    for english, text in _TWISTED_TEXTS.items():
        if message.startswith(english):
            return text.encode()
    return message


class _InboxEntry:
    """INBOX as LIST shows it (mailbox attributes, not message flags)."""

    def getFlags(self):
        return ["\\HasNoChildren"]

    def getHierarchicalDelimiter(self):
        return "/"


@implementer(imap4.IAccount)
class Account:
    """The persona's account: one folder, INBOX."""

    def __init__(self, sandbox: Sandbox, tenant: str, address: str, persona: str, role: str):
        self.sandbox, self.tenant, self.address = sandbox, tenant, address
        self.persona, self.role = persona, role

    def session(self, name: str, read_only: bool) -> Session | None:
        if name.upper() != "INBOX":
            return None
        return Session(self.sandbox, self.tenant, self.address, self.persona, self.role,
                       read_only)

    def listMailboxes(self, ref, wildcard):
        import fnmatch

        pattern = (wildcard.decode() if isinstance(wildcard, bytes) else wildcard) or "*"
        pattern = pattern.replace("%", "*")
        return [("INBOX", _InboxEntry())] if fnmatch.fnmatch("INBOX", pattern.upper()) else []

    def select(self, name, rw=True):  # STATUS and Twisted's defaults only
        return None

    def create(self, pathspec):
        return False

    def delete(self, name):
        raise imap4.MailboxException("Les dossiers MSSante du bac a sable ne se suppriment pas")

    def rename(self, oldname, newname):
        raise imap4.MailboxException("Les dossiers MSSante du bac a sable ne se renomment pas")

    def isSubscribed(self, name):
        return True

    def subscribe(self, name):
        return True

    def unsubscribe(self, name):
        raise imap4.MailboxException("INBOX reste abonnee")


class MssanteIMAPServer(imap4.IMAP4Server):
    """Twisted's IMAP4 server with the sandbox's login, mailbox commands and limits."""

    def __init__(self, sandbox: Sandbox, context_factory):
        super().__init__(contextFactory=context_factory)
        self.sandbox = sandbox
        self.authenticator = Authenticator(sandbox)
        settings = sandbox.settings
        self._literalStringLimit = settings.imap_max_literal_bytes
        self.max_nesting = settings.imap_max_nesting
        self.idle_poll = settings.imap_idle_poll_seconds
        self._idle: tuple[bytes, task.LoopingCall] | None = None

    # --- replies ----------------------------------------------------------------------

    def sendServerGreeting(self):
        self.sendPositiveResponse(
            message=b"MSSante (bac a sable santelab) pret : STARTTLS puis LOGIN")

    def capabilities(self):
        caps = super().capabilities()
        caps.pop(b"AUTH", None)  # LOGIN only: AUTHENTICATE has no portal here
        return caps

    def sendBadResponse(self, tag=None, message=b""):
        super().sendBadResponse(tag, french(message))

    def sendNegativeResponse(self, tag=None, message=b""):
        super().sendNegativeResponse(tag, french(message if isinstance(message, bytes)
                                                 else message.encode("ascii", "replace")))

    def _reply(self, tag: bytes, reply: Reply) -> None:
        for line in reply.untagged:
            self.sendUntaggedResponse(line)
        text = ascii_text(reply.text)
        if reply.status == "OK":
            self.sendPositiveResponse(tag, text)
        elif reply.status == "NO":
            self.sendNegativeResponse(tag, text)
        else:
            self.sendBadResponse(tag, text)

    def _run(self, tag: bytes, work, done=None):
        """Run `work` in the thread pool, then `done(result)` (default: send the Reply); the
        connection's following commands wait until then."""
        if self.blocked is None:
            self.blocked = []
        d = threads.deferToThread(work)
        d.addCallback(done or (lambda reply: self._reply(tag, reply)))
        d.addErrback(self._failed, tag)
        d.addBoth(lambda _: self._unblock())
        return d

    def _failed(self, failure, tag: bytes) -> None:
        error = failure.value
        if isinstance(error, SequenceError | SearchError):
            self.sendBadResponse(tag, ascii_text(str(error)))
        elif isinstance(error, LookupError):
            self.sendNegativeResponse(tag, b"[BADCHARSET (" + " ".join(CHARSETS).encode()
                                      + b")] jeu de caracteres non pris en charge")
        elif isinstance(error, ReadOnly):
            self.sendNegativeResponse(tag, b"boite ouverte en lecture seule (EXAMINE) : "
                                      b"ouvrez-la avec SELECT pour la modifier")
        elif isinstance(error, ConnectionAbortedError):
            self.sendUntaggedResponse(b"BYE La boite a ete recreee (UIDVALIDITY a change, "
                                      b"bac a sable reinitialise) : reconnectez-vous")
            self.transport.loseConnection()
        else:
            log.err(failure, "IMAP command failed")
            self.sendNegativeResponse(tag, b"[SERVERBUG] erreur interne du bac a sable : "
                                      b"la commande n'a pas abouti, reessayez")

    # --- arguments --------------------------------------------------------------------

    def arg_seqset(self, line):
        text, _, rest = (line or b"").partition(b" ")
        try:
            return parse_sequence_set(text), rest
        except SequenceError as exc:
            raise imap4.IllegalClientResponse(ascii_text(str(exc)).decode()) from exc

    def arg_fetchatt(self, line):
        if line.count(b"(") > self.max_nesting:
            raise imap4.IllegalClientResponse("trop de parentheses imbriquees")
        try:
            items, rest = super().arg_fetchatt(line)
            if not items:
                raise ValueError(line)
            return items, rest
        except Exception as exc:
            raise imap4.IllegalClientResponse(
                "attribut FETCH invalide (par exemple FLAGS, UID, BODY.PEEK[HEADER], "
                "BODYSTRUCTURE)") from exc

    def arg_searchkeys(self, line, collected=b""):
        """Search keys, literals included ({n}: the continuation is asked for each)."""
        line = line or b""
        literal = re.search(rb"\{(\d{1,10})\}$", line)
        if literal:
            prefix = collected + line[:literal.start()]
            d = self._stringLiteral(int(literal.group(1)))
            return d.addCallback(lambda got: self.arg_searchkeys(
                got[1], prefix + b'"' + got[0].replace(b"\\", b"\\\\").replace(b'"', b'\\"')
                + b'"'))
        try:
            return tokens(collected + line, self.max_nesting), b""
        except SequenceError as exc:
            raise imap4.IllegalClientResponse(ascii_text(str(exc)).decode()) from exc

    def arg_flaglist(self, line):
        return ([], b"") if not line else super().arg_flaglist(line)

    def _stringLiteral(self, size):
        if size > self._literalStringLimit:
            raise imap4.IllegalClientResponse(
                f"litteral trop long : au plus {self._literalStringLimit} octets")
        return super()._stringLiteral(size)

    # --- authentication ---------------------------------------------------------------

    def do_LOGIN(self, tag, user, passwd):
        if b"LOGINDISABLED" in self.capabilities():
            self.sendBadResponse(
                tag, b"[PRIVACYREQUIRED] LOGIN refuse sans chiffrement : envoyez STARTTLS")
            return
        self._run(tag, lambda: self._login(user.decode("utf-8", "replace"),
                                           passwd.decode("utf-8", "replace")),
                  lambda result: self._logged_in(tag, result))

    unauth_LOGIN = (do_LOGIN, imap4.IMAP4Server.arg_astring, imap4.IMAP4Server.arg_finalastring)

    def _login(self, user: str, password: str):
        submitter = self.authenticator.check(user, password)
        if submitter is None:
            return b"[AUTHENTICATIONFAILED] Identifiant ou mot de passe incorrect"
        fault = self.factory.faults.active(submitter.actor.tenant).get(mailstore.SERVICE)
        if fault is not None and fault.mode in ("indisponible", "erreur"):
            return b"[UNAVAILABLE] " + ascii_text(
                fault.message or "Service MSSante indisponible (panne simulee) : reessayez "
                "plus tard")
        if submitter.mailbox is None:
            return b"[AUTHORIZATIONFAILED] Cette persona n'a pas de boite MSSante"
        return Account(self.sandbox, submitter.actor.tenant, submitter.mailbox,
                       submitter.actor.login, submitter.actor.role)

    def _logged_in(self, tag, result) -> None:
        if isinstance(result, bytes):
            self.sendNegativeResponse(tag, result)
            return
        self.account = result
        self.state = "auth"
        self.sendPositiveResponse(tag, b"LOGIN reussi")
        self.setTimeout(self.POSTAUTH_TIMEOUT)

    def do_LOGOUT(self, tag):
        self._stop_idle()
        self.sendUntaggedResponse(b"BYE Deconnexion, a bientot")
        self.sendPositiveResponse(tag, b"LOGOUT termine")
        self.transport.loseConnection()

    unauth_LOGOUT = auth_LOGOUT = select_LOGOUT = logout_LOGOUT = (do_LOGOUT,)

    def timeoutConnection(self):
        self._stop_idle()
        self.sendLine(b"* BYE Deconnexion automatique : connexion inactive trop longtemps")
        self.transport.loseConnection()
        self.mbox = None
        self.state = "timeout"

    def connectionLost(self, reason):
        self._stop_idle()
        super().connectionLost(reason)

    # --- mailbox state ----------------------------------------------------------------

    def _select(self, tag, name, read_only):
        self.mbox, self.state = None, "auth"
        session = self.account.session(imap4._parseMbox(name), read_only)
        if session is None:
            self.sendNegativeResponse(tag, b"boite inconnue : seule INBOX existe")
            return

        def opened(reply: Reply) -> None:
            self.mbox, self.state = session, "select"
            self._reply(tag, reply)

        self._run(tag, session.open, opened)

    def do_SELECT(self, tag, name):
        self._select(tag, name, False)

    def do_EXAMINE(self, tag, name):
        self._select(tag, name, True)

    auth_SELECT = select_SELECT = (do_SELECT, imap4.IMAP4Server.arg_astring)
    auth_EXAMINE = select_EXAMINE = (do_EXAMINE, imap4.IMAP4Server.arg_astring)

    def do_STATUS(self, tag, name, names):
        name = imap4._parseMbox(name)
        if name.upper() != "INBOX":
            self.sendNegativeResponse(tag, b"boite inconnue : seule INBOX existe")
            return
        account = self.account
        wanted = [n.decode("ascii", "replace").upper() for n in names]
        unknown = [n for n in wanted if n not in STATUS_ITEMS]
        if unknown or not wanted:
            self.sendBadResponse(tag, ascii_text(
                f"attribut STATUS inconnu : {unknown[0] if unknown else '(vide)'} (attendus : "
                f"{', '.join(STATUS_ITEMS)})"))
            return

        def answer(values):
            items = " ".join(f"{k} {v}" for k, v in values.items()).encode()
            return Reply([b"STATUS INBOX (" + items + b")"], "OK", "STATUS termine")

        self._run(tag, lambda: answer(status(self.sandbox, account.tenant, account.address,
                                             wanted)))

    auth_STATUS = select_STATUS = (do_STATUS, imap4.IMAP4Server.arg_astring,
                                   imap4.IMAP4Server.arg_plist)

    def do_APPEND(self, tag, rest):
        """Messages enter by SMTP submission only: refused before any literal is read."""
        self.sendNegativeResponse(tag, b"[CANNOT] APPEND non pris en charge : envoyez vos "
                                  b"messages par SMTP (soumission, port du bac a sable)")

    auth_APPEND = select_APPEND = (do_APPEND, imap4.IMAP4Server.arg_line)

    def do_NOOP(self, tag):
        if self.mbox is None:
            self.sendPositiveResponse(tag, b"NOOP termine")
            return
        self._run(tag, lambda: Reply(self.mbox.sync(), "OK", "NOOP termine"))

    unauth_NOOP = auth_NOOP = select_NOOP = (do_NOOP,)

    def do_CHECK(self, tag):
        self._run(tag, lambda: Reply(self.mbox.sync(), "OK", "CHECK termine"))

    select_CHECK = (do_CHECK,)

    def do_CLOSE(self, tag):
        session = self.mbox

        def closed(_):
            self.mbox, self.state = None, "auth"
            self.sendPositiveResponse(tag, b"CLOSE termine")

        self._run(tag, session.close, closed)

    select_CLOSE = (do_CLOSE,)

    # --- IDLE (RFC 2177) --------------------------------------------------------------

    def do_IDLE(self, tag):
        self.sendContinuationRequest(b"en attente de nouveaux messages (DONE pour finir)")
        self.parseState = "idle"
        poll = task.LoopingCall(self._idle_poll)
        self._idle = (tag, poll)
        if self.mbox is not None:
            poll.start(self.idle_poll, now=True).addErrback(log.err)

    auth_IDLE = select_IDLE = (do_IDLE,)

    def _idle_poll(self):
        if self.blocked is None and self.mbox is not None:
            session = self.mbox
            self._run(b"*", lambda: Reply(session.sync()),
                      lambda reply: [self.sendUntaggedResponse(line) for line in reply.untagged])

    def parse_idle(self, line):
        tag, _ = self._idle
        self._stop_idle()
        self.parseState = "command"
        if line.strip().upper() == b"DONE":
            self.sendPositiveResponse(tag, b"IDLE termine")
        else:
            self.sendBadResponse(tag, b"DONE attendu pour terminer IDLE")

    def _stop_idle(self):
        if self._idle is not None:
            _, poll = self._idle
            if poll.running:
                poll.stop()
            self._idle = None

    # --- messages ---------------------------------------------------------------------

    def do_FETCH(self, tag, ranges, items, uid=0):
        self._run(tag, lambda: self.mbox.fetch(ranges, bool(uid), items))

    select_FETCH = (do_FETCH, arg_seqset, arg_fetchatt)

    def do_STORE(self, tag, ranges, mode, flags, uid=0):
        mode = mode.upper()
        if mode.removesuffix(b".SILENT").lstrip(b"+-") != b"FLAGS":
            self.sendBadResponse(tag, b"STORE attend FLAGS, +FLAGS ou -FLAGS (.SILENT)")
            return
        sign = {b"+": 1, b"-": -1}.get(mode[:1], 0)
        names = [f.decode("ascii", "replace") for f in flags]
        self._run(tag, lambda: self.mbox.store(ranges, bool(uid), sign, names,
                                               mode.endswith(b".SILENT")))

    select_STORE = (do_STORE, arg_seqset, imap4.IMAP4Server.arg_atom, arg_flaglist)

    def do_SEARCH(self, tag, charset, keys, uid=0):
        charset = charset.decode("ascii", "replace") if charset else None
        self._run(tag, lambda: self.mbox.search(keys, charset, bool(uid)))

    select_SEARCH = (do_SEARCH, imap4.IMAP4Server.opt_charset, arg_searchkeys)

    def do_COPY(self, tag, ranges, mailbox, uid=0):
        name = imap4._parseMbox(mailbox)
        self._run(tag, lambda: self.mbox.copy(ranges, bool(uid), name))

    select_COPY = (do_COPY, arg_seqset, imap4.IMAP4Server.arg_finalastring)

    def do_EXPUNGE(self, tag):
        self._run(tag, self.mbox.expunge)

    select_EXPUNGE = (do_EXPUNGE,)


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
