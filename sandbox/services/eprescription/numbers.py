"""Prescription numbers and QR payloads.

The real e-prescription ("ordonnance numérique") prints a QR code carrying a unique
prescription number, which the pharmacist scans (or types when the QR is unreadable). Its exact
layout is not public in our sources, so the sandbox uses its own, inspired by it: 16 characters
in 4 groups (`ABCD-EFGH-JKMN-PQRS`), Crockford base32 (no I, L, O, U: nothing to misread), the
last one an ISO 7064 MOD 37-2 check character, so a mistyped number is a 400 that says so
rather than someone else's prescription.
"""

from __future__ import annotations

import re
import secrets

from sandbox.errors import ServiceError

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32
_CHECK_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*"  # ISO 7064 MOD 37-2
QR_PREFIX = "santelab-erx:v1:"
_SEPARATORS = re.compile(r"[\s-]+")


def check_char(body: str) -> str:
    """ISO 7064 MOD 37-2 check character of `body` (characters of _CHECK_ALPHABET)."""
    total = 0
    for ch in body:
        total = ((total + _CHECK_ALPHABET.index(ch)) * 2) % 37
    return _CHECK_ALPHABET[(38 - total) % 37]


def new_number() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(15))
    return body + check_char(body)


def display(number: str) -> str:
    return "-".join(number[i:i + 4] for i in range(0, 16, 4))


def qr_payload(number: str) -> str:
    return QR_PREFIX + display(number)


def parse(code: str) -> str:
    """A number from what was scanned or typed (QR payload, with or without separators)."""
    text = _SEPARATORS.sub("", code.strip().removeprefix(QR_PREFIX)).upper()
    if len(text) != 16 or any(ch not in ALPHABET for ch in text[:15]):
        raise ServiceError(400, f"« {code} » n'est pas un numéro d'e-prescription : 16 caractères "
                                "attendus (ex. ABCD-EFGH-JKMN-PQRS), ou le contenu du QR code.",
                           expression=["numero"])
    if check_char(text[:15]) != text[15]:
        raise ServiceError(400, f"Numéro d'e-prescription « {code} » mal saisi : le caractère de "
                                "contrôle ne correspond pas. Relisez le numéro imprimé sous le "
                                "QR code.", expression=["numero"])
    return text
