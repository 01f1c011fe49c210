"""IMAP SEARCH (RFC 3501 §6.4.4): every key, compiled once into a predicate on messages.

A key that is unknown, incomplete or malformed raises `SearchError`, answered as a tagged BAD
(an unsupported CHARSET as NO [BADCHARSET]); the nesting of parentheses is bounded before
anything recurses (`sequence.tokens`). Strings match case-insensitively, as substrings, in the
decoded header values (RFC 2047) and the decoded text parts, as Dovecot does. The sandbox keeps
no \\Recent state: RECENT and NEW match nothing, OLD matches everything.
"""

from __future__ import annotations

import email
from collections.abc import Callable
from datetime import date, datetime
from email import policy as email_policy
from email.header import decode_header, make_header
from email.utils import parsedate_to_datetime

from sandbox.messaging.imap_message import Entity
from sandbox.messaging.imap_sequence import SequenceError, parse_sequence_set

CHARSETS = ("US-ASCII", "UTF-8")
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


class SearchError(ValueError):
    """A SEARCH the client must correct (tagged BAD)."""


class Candidate:
    """One message as a search sees it; the bytes are read only if a key needs them."""

    def __init__(self, uid: int, received: datetime, load: Callable[[], bytes]):
        self.uid, self.received = uid, received
        self.seq, self.flags = 0, []  # set by each search (they change, the bytes do not)
        self._load = load
        self._entity: Entity | None = None
        self._text: str | None = None
        self._headers: dict[str, str] = {}  # decoded once: a polling client searches again

    def loaded_size(self) -> int:
        return len(self._entity.raw) if self._entity is not None else 0

    def forget(self) -> None:
        self._entity = self._text = None
        self._headers.clear()

    @property
    def entity(self) -> Entity:
        if self._entity is None:
            self._entity = Entity(self._load())
        return self._entity

    def header(self, name: str) -> str:
        found = self._headers.get(name)
        if found is None:
            values = [line.split(b":", 1)[1].replace(b"\r\n", b"").strip()
                      for field, line in self.entity.fields if field == name]
            found = self._headers[name] = " ".join(_decoded(v) for v in values)
        return found

    def body_text(self) -> str:
        if self._text is None:
            parsed = email.message_from_bytes(self.entity.raw, policy=email_policy.default)
            texts = []
            for part in parsed.walk():
                if part.get_content_maintype() == "text":
                    data = part.get_payload(decode=True) or b""
                    charset = part.get_content_charset() or "utf-8"  # 8-bit without a label
                    try:
                        texts.append(data.decode(charset, "replace"))
                    except LookupError:
                        texts.append(data.decode("utf-8", "replace"))
            self._text = "\n".join(texts)
        return self._text


def _decoded(value: bytes) -> str:
    text = value.decode("utf-8", "replace")
    try:
        return str(make_header(decode_header(text)))
    except (LookupError, ValueError):
        return text


def _date(token) -> date:
    text = _string(token)
    try:
        day, month, year = text.split("-")
        return date(int(year), MONTHS.index(month.upper()) + 1, int(day))
    except ValueError as exc:
        raise SearchError(f"date invalide « {text} » : attendu JJ-Mmm-AAAA, "
                          "par exemple 1-Jan-2026") from exc


def _string(token) -> str:
    if isinstance(token, list):
        raise SearchError("une chaîne était attendue, pas une liste entre parenthèses")
    return token.decode("utf-8", "replace") if isinstance(token, bytes) else token


def _number(token) -> int:
    text = _string(token)
    if not text.isdigit() or len(text) > 10:
        raise SearchError(f"nombre invalide « {text} »")
    return int(text)


def _sent_date(m: Candidate) -> date:
    """The Date header's day as written; a message without a valid one counts as sent at the
    epoch (as Dovecot does)."""
    value = m.entity.value("date")
    try:
        return parsedate_to_datetime(value.decode("ascii", "replace")).date()
    except (AttributeError, TypeError, ValueError, IndexError):
        return date(1970, 1, 1)


_FLAG_KEYS = {"ANSWERED": ("\\Answered", True), "UNANSWERED": ("\\Answered", False),
              "DELETED": ("\\Deleted", True), "UNDELETED": ("\\Deleted", False),
              "DRAFT": ("\\Draft", True), "UNDRAFT": ("\\Draft", False),
              "FLAGGED": ("\\Flagged", True), "UNFLAGGED": ("\\Flagged", False),
              "SEEN": ("\\Seen", True), "UNSEEN": ("\\Seen", False)}
_HEADER_KEYS = {"BCC": "bcc", "CC": "cc", "FROM": "from", "SUBJECT": "subject", "TO": "to"}
_DATE_KEYS = {"BEFORE": (False, lambda d, x: d < x), "ON": (False, lambda d, x: d == x),
              "SINCE": (False, lambda d, x: d >= x),
              "SENTBEFORE": (True, lambda d, x: d < x), "SENTON": (True, lambda d, x: d == x),
              "SENTSINCE": (True, lambda d, x: d >= x)}

Predicate = Callable[[Candidate, "Context"], bool]


class Context:
    """What `*` means in this search: the last sequence number and the last UID."""

    def __init__(self, count: int, last_uid: int):
        self.count, self.last_uid = count, last_uid


def compile_search(tokens: list, charset: str | None = None) -> Predicate:
    """A predicate for the search keys `tokens` (atoms as bytes, nested lists for parens)."""
    if charset is not None and charset.upper() not in CHARSETS:
        raise LookupError(charset)
    if not tokens:
        raise SearchError("critère de recherche manquant (par exemple ALL)")
    queue = list(tokens)
    predicates = []
    while queue:
        predicates.append(_key(queue))
    return lambda m, ctx: all(p(m, ctx) for p in predicates)


def _take(queue: list, key: str):
    if not queue:
        raise SearchError(f"argument manquant après {key}")
    return queue.pop(0)


def _key(queue: list) -> Predicate:
    token = queue.pop(0)
    if isinstance(token, list):
        return compile_search(token)
    key = _string(token).upper()
    if key in ("ALL", "OLD"):
        return lambda m, ctx: True
    if key in ("NEW", "RECENT"):
        return lambda m, ctx: False
    if key in _FLAG_KEYS:
        flag, present = _FLAG_KEYS[key]
        return lambda m, ctx: (flag in m.flags) == present
    if key in ("KEYWORD", "UNKEYWORD"):
        flag = _string(_take(queue, key))
        return lambda m, ctx: (flag in m.flags) == (key == "KEYWORD")
    if key == "NOT":
        inner = _key(queue) if queue else _take(queue, key)
        return lambda m, ctx: not inner(m, ctx)
    if key == "OR":
        left = _key(queue) if queue else _take(queue, key)
        right = _key(queue) if queue else _take(queue, key)
        return lambda m, ctx: left(m, ctx) or right(m, ctx)
    if key in _HEADER_KEYS or key == "HEADER":
        name = _HEADER_KEYS.get(key) or _string(_take(queue, key)).lower()
        needle = _string(_take(queue, key)).casefold()
        if key == "HEADER" and not needle:
            return lambda m, ctx: any(field == name for field, _ in m.entity.fields)
        return lambda m, ctx: needle in m.header(name).casefold()
    if key == "BODY":
        needle = _string(_take(queue, key)).casefold()
        return lambda m, ctx: needle in m.body_text().casefold()
    if key == "TEXT":
        needle = _string(_take(queue, key)).casefold()
        return lambda m, ctx: (needle in m.body_text().casefold()
                               or needle in _decoded(m.entity.header).casefold())
    if key in _DATE_KEYS:
        sent, compare = _DATE_KEYS[key]
        when = _date(_take(queue, key))
        if sent:
            return lambda m, ctx: compare(_sent_date(m), when)
        return lambda m, ctx: compare(m.received.date(), when)
    if key in ("LARGER", "SMALLER"):
        size = _number(_take(queue, key))
        if key == "LARGER":
            return lambda m, ctx: len(m.entity.raw) > size
        return lambda m, ctx: len(m.entity.raw) < size
    if key == "UID":
        ranges = _sequence(_take(queue, key))
        return lambda m, ctx: _within(m.uid, ranges, ctx.last_uid)
    if key[:1].isdigit() or key[:1] == "*":
        ranges = _sequence(token)
        return lambda m, ctx: _within(m.seq, ranges, ctx.count)
    raise SearchError(f"critère de recherche inconnu « {key[:40]} »")


def _sequence(token):
    try:
        return parse_sequence_set(_string(token).encode())
    except SequenceError as exc:
        raise SearchError(str(exc)) from exc


def _within(number: int, ranges, last: int) -> bool:
    for low, high in ranges:
        low, high = low or last, high or last
        if min(low, high) <= number <= max(low, high):
            return True
    return False
