"""Content checks of a submitted message: MIME structure and clinical attachments.

Each check returns a French reason (the message is then quarantined and refused with 554) or
None. They never raise on hostile input: every parser error becomes a reason.
"""

from __future__ import annotations

import email
from email import errors as mime_errors
from email import policy
from email.message import EmailMessage

from sandbox.messaging import xdm

STRUCTURAL_DEFECTS = (
    mime_errors.NoBoundaryInMultipartDefect,
    mime_errors.StartBoundaryNotFoundDefect,
    mime_errors.CloseBoundaryNotFoundDefect,
    mime_errors.MultipartInvariantViolationDefect,
    mime_errors.MissingHeaderBodySeparatorDefect,
    mime_errors.MisplacedEnvelopeHeaderDefect,
    mime_errors.InvalidMultipartContentTransferEncodingDefect,
)
MAX_PARTS = 200


def parse(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=policy.default)


def _defect_reason(defect: mime_errors.MessageDefect) -> str:
    names = {
        "NoBoundaryInMultipartDefect": "message multipart sans délimiteur (boundary)",
        "StartBoundaryNotFoundDefect": "délimiteur MIME (boundary) annoncé mais jamais trouvé",
        "CloseBoundaryNotFoundDefect": "délimiteur MIME de fin absent",
        "MultipartInvariantViolationDefect": "structure multipart incohérente",
        "MissingHeaderBodySeparatorDefect": "en-têtes mal formés (ligne sans « : »)",
        "MisplacedEnvelopeHeaderDefect": "ligne d'enveloppe « From  » au milieu des en-têtes",
        "InvalidMultipartContentTransferEncodingDefect":
            "encodage de transfert invalide pour une partie multipart",
    }
    return names.get(type(defect).__name__, type(defect).__name__)


def mime_problem(message: EmailMessage) -> str | None:
    """Why the MIME structure is unacceptable, or None."""
    if not any(name.lower() == "from" and value.strip() for name, value in message.raw_items()):
        return "en-tête « From » absent"  # (raw headers: parsing From costs more than this)
    for parts, part in enumerate(message.walk(), 1):
        if parts > MAX_PARTS:
            return f"plus de {MAX_PARTS} parties MIME"
        for defect in part.defects:
            if isinstance(defect, STRUCTURAL_DEFECTS):
                return _defect_reason(defect)
        if not part.is_multipart():
            cte = str(part.get("Content-Transfer-Encoding", "7bit")).strip().lower()
            if cte not in ("7bit", "8bit", "binary", "base64", "quoted-printable"):
                return f"encodage de transfert inconnu « {cte} »"
    return None


def is_xdm(part: EmailMessage) -> bool:
    name = (part.get_filename() or "").upper()
    return name == xdm.ZIP_NAME or (name.endswith(".ZIP") and "XDM" in name)


def attachment_problem(message: EmailMessage) -> str | None:
    """Why an attachment is unacceptable (bad XDM, zip bomb…), or None."""
    for part in message.walk():
        if part.is_multipart() or not part.get_filename():
            continue
        try:
            payload = part.get_payload(decode=True) or b""
        except Exception:  # any decoding failure is a reason, not a crash
            return f"pièce jointe « {part.get_filename()} » impossible à décoder"
        if any(isinstance(d, mime_errors.InvalidBase64CharactersDefect | mime_errors.
                          InvalidBase64PaddingDefect | mime_errors.
                          InvalidBase64LengthDefect) for d in part.defects):
            return f"pièce jointe « {part.get_filename()} » : base64 invalide"
        if is_xdm(part):
            try:
                xdm.open_xdm(payload)
            except xdm.XdmError as exc:
                return str(exc)
    return None


def xdm_documents(message: EmailMessage) -> list[xdm.ClinicalDocument]:
    """The clinical documents of the message's IHE_XDM.ZIP attachments (already checked)."""
    found = []
    for part in message.walk():
        if not part.is_multipart() and part.get_filename() and is_xdm(part):
            found.append(xdm.open_xdm(part.get_payload(decode=True) or b""))
    return found
