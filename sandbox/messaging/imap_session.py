"""One IMAP session's view of its mailbox, and the commands that read or change it.

The view is the list of UIDs the client has been told about: sequence numbers are positions
in it, and they change only when the session reports them. New mail is announced (`* n
EXISTS`) at the end of every command that reads or changes messages (as Dovecot); mail expunged by another session
only at NOOP, CHECK, IDLE and EXPUNGE (`* n EXPUNGE`), as RFC 3501 §7.4.1 requires; a mailbox
recreated under a new UIDVALIDITY ends the session (BYE). Every method here reads the
store and may take a while: the protocol runs them off the reactor thread, one at a time per
connection, and sends the `Reply` they return.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sandbox.messaging import mailstore
from sandbox.messaging.imap_message import Entity, body_structure, crlf, envelope, section
from sandbox.messaging.imap_search import Candidate, Context, compile_search
from sandbox.messaging.imap_sequence import Ranges, resolve_sequence, resolve_uids
from sandbox.messaging.reads import record_imap_read
from sandbox.runtime import Sandbox

SYSTEM_FLAGS = ("\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft")
MAILBOX_FLAGS = (*SYSTEM_FLAGS, "$Phishing")
SEARCH_CACHE = 2000  # parsed messages kept per session for repeated searches
SEARCH_CACHE_BYTES = 64 * 1024  # larger ones are parsed again when searched
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass
class Reply:
    """Untagged lines (without `* `), then the tagged status and its text."""

    untagged: list[bytes] = field(default_factory=list)
    status: str = "OK"
    text: str = ""


class ReadOnly(Exception):
    """A change asked of a mailbox opened with EXAMINE (tagged NO)."""


def quote(value) -> bytes:
    """An IMAP string: NIL, a quoted string, or a literal when it holds CR, LF, 8-bit or `"`
    that a quoted string would have to escape beyond reason."""
    if value is None:
        return b"NIL"
    if isinstance(value, int):
        return b"%d" % value
    if isinstance(value, list):
        return b"(" + b" ".join(quote(v) for v in value) + b")"
    data = value.encode("utf-8") if isinstance(value, str) else value
    if any(b in (0x0D, 0x0A) or b > 0x7E for b in data) or len(data) > 1000:
        return b"{%d}\r\n%b" % (len(data), data)
    return b'"' + data.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


def _flag_list(flags) -> bytes:
    return b"(" + " ".join(flags).encode("ascii", "replace") + b")"


def _internal_date(row) -> bytes:
    at = row.received_at
    return (f'"{at.day:02d}-{MONTHS[at.month - 1]}-{at:%Y %H:%M:%S} '
            f'{at:%z}"'.encode() if at.tzinfo else
            f'"{at.day:02d}-{MONTHS[at.month - 1]}-{at:%Y %H:%M:%S} +0000"'.encode())


class Session:
    """The selected INBOX of one connection (SELECT read-write, EXAMINE read-only)."""

    def __init__(self, sandbox: Sandbox, tenant: str, address: str, persona: str, role: str,
                 read_only: bool):
        self.sandbox, self.tenant, self.address = sandbox, tenant, address
        self.persona, self.role, self.read_only = persona, role, read_only
        self.uids: list[int] = []
        self.flags: dict[int, list[str]] = {}
        self.validity = 0
        self._candidates: dict[int, Candidate] = {}

    # --- view ---------------------------------------------------------------------------

    def _rows(self):
        with self.sandbox.store.session() as session:
            return mailstore.list_messages(session, self.tenant, self.address)

    def _snapshot(self) -> tuple[list, int]:
        """The messages and the mailbox's UIDVALIDITY, read together (0: mailbox gone)."""
        with self.sandbox.store.session() as session:
            box = mailstore.mailbox_state(session, self.tenant, self.address)
            rows = mailstore.list_messages(session, self.tenant, self.address)
        return rows, box.uid_validity if box else 0

    def open(self) -> Reply:
        """SELECT / EXAMINE: the view is every message now in the mailbox."""
        self.validity = mailstore.uid_validity(self.sandbox, self.tenant, self.address)
        rows = self._rows()
        self.uids = [r.uid for r in rows]
        self.flags = {r.uid: list(r.flags or []) for r in rows}
        with self.sandbox.store.session() as session:
            uid_next = mailstore.mailbox_state(session, self.tenant, self.address).uid_next
        flags = b" ".join(f.encode() for f in MAILBOX_FLAGS)
        permanent = b"()" if self.read_only else b"(" + flags + b" \\*)"
        untagged = [b"FLAGS (" + flags + b")",
                    b"OK [PERMANENTFLAGS " + permanent + b"] Drapeaux permanents",
                    b"%d EXISTS" % len(rows), b"0 RECENT"]
        unseen = next((i for i, r in enumerate(rows, 1) if "\\Seen" not in self.flags[r.uid]),
                      None)
        if unseen:
            untagged.append(b"OK [UNSEEN %d] Premier message non lu" % unseen)
        untagged += [b"OK [UIDVALIDITY %d] UID valides" % self.validity,
                     b"OK [UIDNEXT %d] Prochain UID" % uid_next]
        mode = "READ-ONLY" if self.read_only else "READ-WRITE"
        return Reply(untagged, "OK", f"[{mode}] boite ouverte")

    def sync(self, *, expunges: bool = True, snapshot=None) -> list[bytes]:
        """What changed since the client last heard: expunged messages (when allowed), new
        messages (EXISTS) and flags changed by another session; the view follows."""
        rows, validity = snapshot or self._snapshot()
        if validity != self.validity:
            raise ConnectionAbortedError("UIDVALIDITY")
        stored = {r.uid: list(r.flags or []) for r in rows}
        lines = []
        if expunges:  # from the last: each number stays right without renumbering
            for seq in range(len(self.uids), 0, -1):
                if self.uids[seq - 1] not in stored:
                    lines.append(b"%d EXPUNGE" % seq)
                    self.flags.pop(self.uids.pop(seq - 1), None)
        for seq, uid in enumerate(self.uids, 1):
            if uid in stored and stored[uid] != self.flags.get(uid):
                self.flags[uid] = stored[uid]
                lines.append(b"%d FETCH (UID %d FLAGS %b)" % (seq, uid, _flag_list(stored[uid])))
        last = self.uids[-1] if self.uids else 0
        new = [r.uid for r in rows if r.uid > last]
        if new:
            self.uids += new
            self.flags.update({u: stored[u] for u in new})
            lines.append(b"%d EXISTS" % len(self.uids))
        return lines

    def _chosen(self, ranges: Ranges, uid: bool) -> list[int]:
        """Sequence numbers named by a command's set (cost: the messages of the view)."""
        return resolve_uids(ranges, self.uids) if uid else resolve_sequence(ranges,
                                                                            len(self.uids))

    # --- commands ---------------------------------------------------------------------

    def fetch(self, ranges: Ranges, uid: bool, items: list) -> Reply:
        seqs = self._chosen(ranges, uid)
        by_uid = {self.uids[s - 1]: s for s in seqs}
        with self.sandbox.store.session() as session:
            rows = mailstore.messages_by_uid(session, self.tenant, self.address, list(by_uid))
        record_imap_read(self.sandbox, tenant=self.tenant, persona=self.persona, role=self.role,
                         mailbox=self.address,
                         message_ids=[r.message_id for r in sorted(rows, key=lambda r: r.uid)])
        changed: set[int] = set()
        if not self.read_only and any(_sets_seen(item) for item in items):
            unseen = [r.uid for r in rows if "\\Seen" not in (r.flags or [])]
            if unseen:
                new = self._set_flags(unseen, ["\\Seen"], 1)
                for row in rows:
                    if row.uid in new:
                        row.flags = new[row.uid]
                        changed.add(row.uid)
        asked = {item.type for item in items}
        lines = []
        for row in sorted(rows, key=lambda r: r.uid):
            entity = Entity(crlf(row.raw))
            parts = [b"UID %d" % row.uid] if uid and "uid" not in asked else []
            parts += [_render(item, row, entity) for item in items]
            if row.uid in changed and "flags" not in asked:  # the client learns of \Seen
                parts.append(b"FLAGS " + _flag_list(row.flags))
            self.flags[row.uid] = list(row.flags or [])
            lines.append(b"%d FETCH (%b)" % (by_uid[row.uid], b" ".join(parts)))
        return Reply(lines + self.sync(expunges=False), "OK", "FETCH termine")

    def _set_flags(self, uids: list[int], flags: list[str], mode: int) -> dict[int, list[str]]:
        return mailstore.set_flags(self.sandbox, self.tenant, self.address, uids, flags, mode,
                                   persona=self.persona, role=self.role)

    def store(self, ranges: Ranges, uid: bool, mode: int, flags: list[str],
              silent: bool) -> Reply:
        if self.read_only:
            raise ReadOnly
        seqs = self._chosen(ranges, uid)
        new = self._set_flags([self.uids[s - 1] for s in seqs], flags, mode)
        lines = []
        for seq in seqs:  # a FETCH for each message whose flags the client did not know
            u = self.uids[seq - 1]
            if u in new and new[u] != self.flags.get(u):
                self.flags[u] = new[u]
                if not silent:
                    extra = b" UID %d" % u if uid else b""
                    lines.append(b"%d FETCH (FLAGS %b%b)" % (seq, _flag_list(new[u]), extra))
        return Reply(lines + self.sync(expunges=False), "OK", "STORE termine")

    def search(self, keys: list, charset: str | None, uid: bool) -> Reply:
        predicate = compile_search(keys, charset)
        snapshot = self._snapshot()
        rows = {r.uid: r for r in snapshot[0]}
        context = Context(len(self.uids), self.uids[-1] if self.uids else 0)
        found = []
        for seq, u in enumerate(self.uids, 1):
            row = rows.get(u)
            if row is None:
                continue
            candidate = self._candidates.get(u) or Candidate(u, row.received_at, self._loader(u))
            candidate.seq, candidate.flags = seq, list(row.flags or [])
            if predicate(candidate, context):
                found.append(u if uid else seq)
            self._keep(candidate)
        return Reply([b"SEARCH" + b"".join(b" %d" % n for n in found),
                      *self.sync(expunges=False, snapshot=snapshot)], "OK",
                     "SEARCH termine")

    def _loader(self, uid: int):
        def load() -> bytes:
            with self.sandbox.store.session() as session:
                return crlf(mailstore.get_message(session, self.tenant, self.address, uid).raw)
        return load

    def _keep(self, candidate: Candidate) -> None:
        """Messages never change: a client polling SEARCH parses each one once. Only small
        ones are kept, and at most SEARCH_CACHE per session."""
        if candidate.loaded_size() > SEARCH_CACHE_BYTES:
            candidate.forget()
        self._candidates[candidate.uid] = candidate
        while len(self._candidates) > SEARCH_CACHE:
            self._candidates.pop(next(iter(self._candidates)))

    def copy(self, ranges: Ranges, uid: bool, mailbox: str) -> Reply:
        if mailbox.upper() != "INBOX":
            return Reply([], "NO", f"[TRYCREATE] boite inconnue : {mailbox} (seule INBOX existe)")
        seqs = self._chosen(ranges, uid)
        source = [self.uids[s - 1] for s in seqs]
        mailstore.copy_messages(self.sandbox, self.tenant, self.address, source)
        return Reply(self.sync(expunges=False), "OK", "COPY termine")

    def expunge(self) -> Reply:
        if self.read_only:
            raise ReadOnly
        mailstore.expunge(self.sandbox, self.tenant, self.address)
        return Reply(self.sync(), "OK", "EXPUNGE termine")

    def close(self) -> None:
        """CLOSE: expunge silently (read-write only)."""
        if not self.read_only:
            mailstore.expunge(self.sandbox, self.tenant, self.address)


def status(sandbox: Sandbox, tenant: str, address: str, names: list[str]) -> dict[str, int]:
    """STATUS INBOX (items asked): counts read from the store."""
    with sandbox.store.session() as session:
        rows = mailstore.list_messages(session, tenant, address)
        box = mailstore.mailbox_state(session, tenant, address)
    values = {"MESSAGES": len(rows), "RECENT": 0, "UIDNEXT": box.uid_next,
              "UIDVALIDITY": mailstore.uid_validity(sandbox, tenant, address),
              "UNSEEN": sum("\\Seen" not in (r.flags or []) for r in rows)}
    return {n: values[n] for n in names}


STATUS_ITEMS = ("MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY", "UNSEEN")


def _sets_seen(item) -> bool:
    """RFC 3501 §6.4.5: BODY[...] (not BODY.PEEK), RFC822 and RFC822.TEXT set \\Seen."""
    if item.type == "body":
        return not item.peek and (item.empty or item.header or item.text or item.mime
                                  or bool(item.part))
    return item.type in ("rfc822", "rfc822text")


def _render(item, row, entity: Entity) -> bytes:
    kind = item.type
    if kind == "flags":
        return b"FLAGS " + _flag_list(row.flags or [])
    if kind == "uid":
        return b"UID %d" % row.uid
    if kind == "internaldate":
        return b"INTERNALDATE " + _internal_date(row)
    if kind == "rfc822size":
        return b"RFC822.SIZE %d" % len(entity.raw)
    if kind == "envelope":
        return b"ENVELOPE " + quote(envelope(entity))
    if kind == "bodystructure":
        return b"BODYSTRUCTURE " + quote(body_structure(entity))
    if kind == "rfc822":
        return b"RFC822 " + quote(entity.raw)
    if kind == "rfc822header":
        return b"RFC822.HEADER " + quote(entity.header)
    if kind == "rfc822text":
        return b"RFC822.TEXT " + quote(entity.body)
    if not (item.empty or item.header or item.text or item.mime or item.part):
        return b"BODY " + quote(body_structure(entity, extended=False))
    path = [p + 1 for p in item.part]
    if item.header is not None:
        names = [n.decode("ascii", "replace") for n in (item.header.fields or [])]
        what = "HEADER.FIELDS" if names else "HEADER"
        data = section(entity, path, what, names, bool(item.header.negate))
    else:
        data = section(entity, path, "TEXT" if item.text else "MIME" if item.mime else "")
    name = _section_name(item)
    if item.partialBegin is not None:
        data = data[item.partialBegin:item.partialBegin + item.partialLength]
        name += b"<%d>" % item.partialBegin
    return name + b" " + _literal(data)


def _section_name(item) -> bytes:
    text = item.getBytes()
    return text.split(b"<", 1)[0]


def _literal(data: bytes) -> bytes:
    return b"{%d}\r\n%b" % (len(data), data)
