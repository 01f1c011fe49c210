"""Free text a person must type (a break-glass reason, an opposition motive): readable or refused.

A reason is traced and shown to the patient; five NULs, U+FFFD (bytes that were not UTF-8),
control characters or blanks are no reason at all.
"""

from __future__ import annotations

import unicodedata

_UNREADABLE = {"Cc", "Cf", "Cs", "Co", "Cn"}  # controls, format, surrogates, private, unassigned


def reason_problem(text: str, *, minimum: int) -> str | None:
    """Why `text` is not a readable reason (a French phrase), or None if it is one."""
    if "\ufffd" in text:
        return "il contient des octets illisibles (U+FFFD) : envoyez du texte en UTF-8"
    if any(unicodedata.category(c) in _UNREADABLE for c in text):
        return "il contient des caractères de contrôle ou invisibles : écrivez-le en clair"
    if len(text.strip()) < minimum:
        return f"{minimum} caractères lisibles au moins sont attendus"
    return None
