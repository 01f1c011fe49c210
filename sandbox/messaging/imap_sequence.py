"""Sequence sets and parenthesised arguments, read without walking numbers or recursing.

`1:4294967295` is two numbers, not four billion: a set is kept as ranges and resolved against
the messages of the session's view with a binary search, so its cost follows the messages
that exist. Parenthesised lists are read with an explicit stack whose depth is bounded
(`imap_max_nesting`), so 1,000 nested parentheses are a BAD, never a recursion error.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

MAX_NUMBER = 4294967295  # nz-number is a 32-bit unsigned integer (RFC 3501 §9)

Ranges = list[tuple[int | None, int | None]]  # None stands for `*`


class SequenceError(ValueError):
    """A malformed sequence set or argument list (a tagged BAD)."""


def _number(text: bytes) -> int | None:
    if text == b"*":
        return None
    if not text.isdigit() or len(text) > 10 or not 0 < int(text) <= MAX_NUMBER:
        raise SequenceError(f"numéro de message invalide « {text[:20].decode('latin-1')} » "
                            f"(de 1 à {MAX_NUMBER}, ou *)")
    return int(text)


def parse_sequence_set(text: bytes) -> Ranges:
    """`1,3:5,7:*` → [(1, 1), (3, 5), (7, None)]."""
    if not text:
        raise SequenceError("ensemble de messages manquant")
    ranges = []
    for part in text.split(b","):
        low, _, high = part.partition(b":")
        ranges.append((_number(low), _number(high) if high else _number(low)))
    return ranges


def resolve_sequence(ranges: Ranges, count: int) -> list[int]:
    """Sequence numbers 1…count that `ranges` names, ascending; ValueError for a number past
    the last message (Dovecot answers BAD "Invalid messageset" there too)."""
    chosen: set[int] = set()
    for low, high in ranges:
        low, high = low or count, high or count
        low, high = min(low, high), max(low, high)
        if high > count or low < 1:
            raise SequenceError(f"numéro de message {high} hors de la boîte ({count} messages)")
        chosen.update(range(low, high + 1))
    return sorted(chosen)


def resolve_uids(ranges: Ranges, uids: list[int]) -> list[int]:
    """Sequence numbers of the ascending `uids` that `ranges` names (UIDs that do not exist
    are simply absent, RFC 3501 §6.4.8)."""
    if not uids:
        return []
    chosen: set[int] = set()
    for low, high in ranges:
        low, high = low or uids[-1], high or uids[-1]
        start, end = bisect_left(uids, min(low, high)), bisect_right(uids, max(low, high))
        chosen.update(range(start + 1, end + 1))
    return sorted(chosen)


def tokens(line: bytes, max_depth: int) -> list:
    """Atoms, quoted strings (bytes) and parenthesised lists (nested lists) of `line`.

    Literals were already replaced by quoted strings (`LiteralText`) by the protocol.
    """
    stack: list[list] = [[]]
    i, size = 0, len(line)
    while i < size:
        c = line[i:i + 1]
        if c == b" ":
            i += 1
        elif c == b"(":
            if len(stack) > max_depth:
                raise SequenceError(f"trop de parenthèses imbriquées (au plus {max_depth})")
            stack.append([])
            i += 1
        elif c == b")":
            if len(stack) == 1:
                raise SequenceError("parenthèse fermante sans ouvrante")
            inner = stack.pop()
            stack[-1].append(inner)
            i += 1
        elif c == b'"':
            value, i = _quoted(line, i + 1)
            stack[-1].append(value)
        else:
            end = i
            while end < size and line[end:end + 1] not in (b" ", b"(", b")", b'"'):
                end += 1
            atom = line[i:end]
            if any(b > 0x7E or b < 0x20 for b in atom):
                raise SequenceError("caractère non ASCII hors d'une chaîne : utilisez "
                                    "CHARSET UTF-8 et un littéral {n}")
            stack[-1].append(atom)
            i = end
    if len(stack) != 1:
        raise SequenceError("parenthèse ouvrante sans fermante")
    return stack[0]


def _quoted(line: bytes, i: int) -> tuple[str, int]:
    out = bytearray()
    while i < len(line):
        c = line[i]
        if c == 0x5C and i + 1 < len(line):  # backslash escapes " and itself
            out.append(line[i + 1])
            i += 2
        elif c == 0x22:
            return out.decode("utf-8", "replace"), i + 1
        else:
            out.append(c)
            i += 1
    raise SequenceError("guillemet ouvrant sans fermant")
