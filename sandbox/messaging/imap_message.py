"""A stored message as IMAP reads it: header sections, MIME parts by number, ENVELOPE.

Everything is cut from the message's own bytes (never re-serialised), so BODY[HEADER],
BODY[1.MIME] or HEADER.FIELDS return what the sender wrote, 8-bit UTF-8 headers included
(sent as literals, as Dovecot does), and a section that does not exist is empty, not an error.
"""

from __future__ import annotations

from email.parser import HeaderParser
from email.policy import compat32
from email.utils import getaddresses

_HEADER_PARSER = HeaderParser(policy=compat32)


def _parse_header(block: bytes):
    """The header block parsed, 8-bit UTF-8 kept (it comes back out through `_bytes`)."""
    return _HEADER_PARSER.parsestr(block.decode("utf-8", "surrogateescape"))


def crlf(raw: bytes) -> bytes:
    """Line ends as IMAP sends them (the store keeps what SMTP received)."""
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


class Entity:
    """One MIME entity: its header block (blank line included) and its body."""

    def __init__(self, raw: bytes):
        self.raw = raw
        if raw.startswith(b"\r\n"):
            self.header, self.body = b"\r\n", raw[2:]
        else:
            head, sep, body = raw.partition(b"\r\n\r\n")
            self.header, self.body = (head + b"\r\n\r\n", body) if sep else (raw, b"")
        self._fields: list[tuple[str, bytes]] | None = None

    @property
    def fields(self) -> list[tuple[str, bytes]]:
        """(lower-case name, raw lines of the field) in order, folding kept."""
        if self._fields is None:
            self._fields = []
            block = self.header.rstrip(b"\r\n")
            for line in block.split(b"\r\n") if block else []:
                if line[:1] in (b" ", b"\t") and self._fields:
                    name, value = self._fields[-1]
                    self._fields[-1] = (name, value + b"\r\n" + line)
                elif b":" in line:
                    self._fields.append((line.split(b":", 1)[0].strip().decode(
                        "ascii", "replace").lower(), line))
        return self._fields

    def value(self, name: str) -> bytes | None:
        """The first field `name`, unfolded, without its name."""
        for field, line in self.fields:
            if field == name:
                return line.split(b":", 1)[1].replace(b"\r\n", b"").strip()
        return None

    def header_fields(self, names: list[str], negate: bool) -> bytes:
        """HEADER.FIELDS (names) or HEADER.FIELDS.NOT (names): the lines, then a blank line."""
        wanted = {n.lower() for n in names}
        lines = [line for name, line in self.fields if (name in wanted) != negate]
        return b"".join(line + b"\r\n" for line in lines) + b"\r\n"

    @property
    def content_type(self) -> tuple[str, str, dict[str, str]]:
        parsed = _parse_header(self.header)
        maintype, subtype = parsed.get_content_maintype(), parsed.get_content_subtype()
        params = {k.lower(): v for k, v in (parsed.get_params() or [])[1:]}
        return maintype, subtype, params

    def children(self) -> list[Entity]:
        """The parts of a multipart, or the one message inside a message/rfc822."""
        maintype, subtype, params = self.content_type
        if maintype == "message" and subtype == "rfc822":
            return [Entity(self.body)]
        boundary = params.get("boundary")
        if maintype != "multipart" or not boundary:
            return []
        delimiter = b"--" + boundary.encode("ascii", "replace")
        parts, current = [], None
        for line in (b"\r\n" + self.body).split(b"\r\n"):
            if line.rstrip(b" \t") == delimiter + b"--":
                break
            if line.rstrip(b" \t") == delimiter:
                if current is not None:
                    parts.append(current)
                current = []
            elif current is not None:
                current.append(line)
        if current is not None:
            parts.append(current)
        return [Entity(b"\r\n".join(lines)) for lines in parts]

    def part(self, path: list[int]) -> Entity | None:
        """Section part `path` (1-based, RFC 3501 §6.4.5), or None when it does not exist.

        A non-multipart entity has one implicit part 1, itself, but only once: `1.1` of a
        single-part message is nothing, `2.1` of a leaf part is that part (as Dovecot)."""
        entity, implicit = self, False
        for number in path:
            if entity.content_type[:2] == ("message", "rfc822") and entity is not self:
                entity, implicit = entity.children()[0], False
            children = entity.children()
            if children:
                if not 0 < number <= len(children):
                    return None
                entity, implicit = children[number - 1], False
            elif number != 1 or implicit:
                return None
            else:
                implicit = True
        return entity


def section(entity: Entity, path: list[int], what: str, names=(), negate=False) -> bytes:
    """The bytes of BODY[<path>.<what>]; what ∈ '', HEADER, HEADER.FIELDS, TEXT, MIME."""
    target = entity.part(path)
    if target is None:
        return b""
    if what == "MIME":
        return target.header if path else b""
    if what == "":
        return target.raw if not path else target.body
    if path:  # HEADER/TEXT of a part: of the message it encapsulates
        if target.content_type[:2] != ("message", "rfc822"):
            return b""
        target = Entity(target.body)
    if what == "TEXT":
        return target.body
    if what == "HEADER":
        return target.header
    return target.header_fields(list(names), negate)


def _address_list(value: bytes | None):
    if value is None:
        return None
    text = value.decode("utf-8", "surrogateescape")
    result = []
    for name, address in getaddresses([text]):
        if not address and not name:
            continue
        local, _, host = address.rpartition("@") if "@" in address else (address, "", "")
        result.append([_bytes(name) if name else None, None, _bytes(local) or None,
                       _bytes(host) or None])
    return result or None


def _bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def envelope(entity: Entity) -> list:
    """ENVELOPE (RFC 3501 §7.4.2): date, subject, from, sender, reply-to, to, cc, bcc,
    in-reply-to, message-id; sender and reply-to default to from."""
    from_ = _address_list(entity.value("from"))
    return [entity.value("date"), entity.value("subject"), from_,
            _address_list(entity.value("sender")) or from_,
            _address_list(entity.value("reply-to")) or from_,
            _address_list(entity.value("to")), _address_list(entity.value("cc")),
            _address_list(entity.value("bcc")), entity.value("in-reply-to"),
            entity.value("message-id")]


def _params(params: dict[str, str]):
    return [x for k, v in params.items() for x in (_bytes(k), _bytes(v))] or None


def _disposition(entity: Entity):
    value = entity.value("content-disposition")
    if value is None:
        return None
    parsed = _parse_header(b"Content-Type: " + value + b"\r\n\r\n")
    params = parsed.get_params() or []
    return [_bytes(params[0][0]) if params else b"", _params(dict(params[1:]))]


def body_structure(entity: Entity, extended: bool = True) -> list:
    """BODYSTRUCTURE (extended) or BODY (RFC 3501 §7.4.2) of `entity`."""
    maintype, subtype, params = entity.content_type
    language, location = entity.value("content-language"), entity.value("content-location")
    if maintype == "multipart":
        result = [body_structure(child, extended) for child in entity.children()]
        result.append(_bytes(subtype))
        if extended:
            result += [_params(params), _disposition(entity), language, location]
        return result
    if maintype == "text":
        params.setdefault("charset", "us-ascii")
    encoding = entity.value("content-transfer-encoding") or b"7bit"
    result = [_bytes(maintype), _bytes(subtype), _params(params), entity.value("content-id"),
              entity.value("content-description"), encoding, len(entity.body)]
    lines = entity.body.count(b"\n")
    if (maintype, subtype) == ("message", "rfc822"):
        inner = entity.children()[0]
        result += [envelope(inner), body_structure(inner, extended), lines]
    elif maintype == "text":
        result.append(lines)
    if extended:
        result += [entity.value("content-md5"), _disposition(entity), language, location]
    return result
