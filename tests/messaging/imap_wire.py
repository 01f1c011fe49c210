"""A raw IMAP client for the tests: sends exact command lines, reads exact responses.

imaplib hides what these tests look at (literal framing, untagged data, the order of
replies, unanswered commands), so this client speaks the wire: each response is parsed into
atoms, strings (quoted or literal, the same once read) and nested lists, which
`test_imap_dovecot` compares between the sandbox and Dovecot. Every read has a timeout: a
server that never answers fails the test instead of hanging it.
"""

from __future__ import annotations

import contextlib
import re
import socket
import ssl
from dataclasses import dataclass


class Str(bytes):
    """A string from the wire (quoted or literal), told apart from an atom."""


@dataclass
class Response:
    untagged: list[list]  # each untagged response, tokenised (without the leading `*`)
    status: str  # OK, NO or BAD (or BYE when the server closed without a tagged reply)
    text: bytes
    raw: bytes


class Wire:
    def __init__(self, port: int, ca_file: str, *, timeout: float = 30):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.file = self.sock.makefile("rb")
        self.greeting = self.file.readline()
        self.count = 0
        self._tls(ca_file)

    def _tls(self, ca_file: str) -> None:
        assert self.command("STARTTLS").status == "OK"
        context = ssl.create_default_context(cafile=ca_file)
        self.sock = context.wrap_socket(self.sock, server_hostname="localhost")
        self.file = self.sock.makefile("rb")

    def login(self, user: str, password: str) -> Response:
        return self.command(f'LOGIN "{user}" "{password}"')

    def read_line(self) -> bytes:
        """One response line with its literals inlined: `{n}\\r\\n<n bytes>` kept as is."""
        line = self.file.readline()
        if not line:
            raise ConnectionError("connection closed by the server")
        while (m := re.search(rb"\{(\d+)\}\r\n$", line)):
            line += self.file.read(int(m.group(1)))
            line += self.file.readline()
        return line

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def command(self, line: str | bytes, literals: tuple[bytes, ...] = ()) -> Response:
        """Send `TAG line` (each `{n}` in it followed by the next of `literals`), read to the
        tagged reply."""
        self.count += 1
        tag = b"t%d" % self.count
        chunks, rest = [], tag + b" " + (line.encode() if isinstance(line, str) else line)
        for literal in literals:
            marker = b"{%d}" % len(literal)
            head, _, rest = rest.partition(marker)
            chunks.append(head + marker)
            rest = literal + rest
        chunks.append(rest)
        raw = b""
        self.send(chunks[0] + b"\r\n")
        for chunk in chunks[1:]:
            answer = self.read_line()
            raw += answer
            if not answer.startswith(b"+"):  # refused before the literal was asked for
                return self.finish(tag, raw, first=answer)
            self.send(chunk + b"\r\n")
        return self.finish(tag, raw)

    def finish(self, tag: bytes, raw: bytes, first: bytes | None = None) -> Response:
        untagged = []
        line = first
        while True:
            if line is None:
                try:
                    line = self.read_line()
                except ConnectionError:
                    return Response(untagged, "BYE", b"", raw)
                raw += line
            if line.startswith(tag + b" "):
                status, _, text = line[len(tag) + 1:].rstrip(b"\r\n").partition(b" ")
                return Response(untagged, status.decode(), text, raw)
            if line.startswith(b"* "):
                untagged.append(parse(line[2:].rstrip(b"\r\n")))
            line = None

    def read_untagged(self) -> list:
        """The next untagged response (during IDLE)."""
        return parse(self.read_line()[2:].rstrip(b"\r\n"))

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


def parse(data: bytes) -> list:
    """Atoms (bytes), strings (Str), NIL (None) and nested lists of one response."""
    stack: list[list] = [[]]
    i = 0
    while i < len(data):
        c = data[i:i + 1]
        if c == b" ":
            i += 1
        elif c in (b"(", b"["):
            stack.append([c])
            i += 1
        elif c in (b")", b"]"):
            inner = stack.pop()
            stack[-1].append(inner[1:] if inner[0] == b"(" else [b"[", *inner[1:]])
            i += 1
        elif c == b'"':
            j, out = i + 1, bytearray()
            while j < len(data) and data[j:j + 1] != b'"':
                if data[j:j + 1] == b"\\":
                    j += 1
                out += data[j:j + 1]
                j += 1
            stack[-1].append(Str(out))
            i = j + 1
        elif c == b"{" and (m := re.match(rb"\{(\d+)\}\r\n", data[i:])):
            start = i + m.end()
            stack[-1].append(Str(data[start:start + int(m.group(1))]))
            i = start + int(m.group(1))
        else:
            m = re.match(rb"[^ ()\[\]]+(\[[^\]]*\](<\d+>)?)?", data[i:])
            atom = m.group(0)
            stack[-1].append(None if atom.upper() == b"NIL" else atom)
            i += len(atom)
    while len(stack) > 1:  # unbalanced (text of a response): close what is open
        inner = stack.pop()
        stack[-1].append(inner[1:])
    return stack[0]
