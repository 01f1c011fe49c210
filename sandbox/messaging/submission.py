"""Mail submission whatever the protocol: who may send, under which address, to whom, what, and
what becomes of the message (delivered, quarantined or refused).

The SMTP server (`smtp.py`) and the HTTP mail route (`router.py`) are thin adapters over this
module: they turn their input into calls here and the typed results into their own answers (a
reply code, an HTTP status). Nothing here speaks SMTP or HTTP, so each decision is taken once,
audited once and reads the same on every route; IMAP asks `fault` too. The calls touch the
store: adapters on an event loop run them on a worker thread.

A transaction is a `Submission`: `open` (the sender), `add_recipient` (each recipient), then
`submit` (the content), which delivers after adding the trace headers a submission server adds
(RFC 6409 §8, RFC 5321 §4.4), or quarantines.
"""

from __future__ import annotations

import enum
import logging
import re
from dataclasses import dataclass, field
from email.utils import format_datetime, getaddresses

from sandbox import policy
from sandbox.auth import Actor
from sandbox.faults import FaultBook, fault_error
from sandbox.messaging import checks, mailstore
from sandbox.messaging.mailstore import Sender, normalise
from sandbox.runtime import Sandbox

log = logging.getLogger("sandbox.messaging")

SANDBOX_SUFFIX = ".mssante.fr"
SERVER_NAME = "localhost"  # the name the SMTP server gives itself (its certificate's name)


class Refusal(enum.Enum):
    """Why a step is refused; each adapter maps the kind to its own answer."""

    UNAVAILABLE = "indisponible"  # a fault on the mssante service, or the store failing
    FORBIDDEN = "interdit"  # the persona's role may not send (access matrix)
    SENDER = "expediteur"  # the envelope sender is not the persona's own mailbox
    HEADER_FROM = "en-tete-from"  # From: or Sender: names another address
    BAD_ADDRESS = "adresse-illisible"  # not UTF-8, or not an address at all
    RELAY = "relais"  # a recipient outside the sandbox's trust space
    UNKNOWN_RECIPIENT = "destinataire-inconnu"
    TOO_MANY_RECIPIENTS = "trop-de-destinataires"
    TOO_BIG = "trop-volumineux"


@dataclass(frozen=True, slots=True)
class Refused:
    kind: Refusal
    reason: str  # French, for the person reading the reply


@dataclass(frozen=True, slots=True)
class Accepted:
    message_id: str
    recipients: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Quarantined:
    quarantine_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class RecipientAdded:
    address: str
    duplicate: bool  # named before in this transaction: still one copy


@dataclass(frozen=True, slots=True)
class FaultEffect:
    """What the tenant's fault on the mssante service does to a mail command."""

    delay_seconds: float = 0.0
    refusal: Refused | None = None


@dataclass(frozen=True, slots=True)
class Submitter:
    """An authenticated persona and its own mailbox (None: it has none)."""

    actor: Actor
    mailbox: str | None

    @property
    def sender(self) -> Sender:
        return Sender(self.actor.login, self.actor.role, self.mailbox)


@dataclass(frozen=True, slots=True)
class Via:
    """How a message came in, for its Received: header."""

    protocol: str  # "ESMTPSA" (RFC 3848), "HTTP"
    client_name: str = ""  # what the client called itself (EHLO)
    client_address: str = ""


@dataclass
class Submission:
    """One mail transaction: a sender, its recipients so far, the attempts made."""

    who: Submitter
    mail_from: str
    via: Via
    recipients: list[str] = field(default_factory=list)
    attempts: int = 0  # recipients named, refused and repeated ones included


def too_big_reason(limit: int) -> str:
    return (f"Message trop volumineux : la limite est de {limit / (1024 * 1024):g} Mo "
            "(pièces jointes comprises)")


def address_problem(address: str) -> str | None:
    """Why `address` cannot be a mailbox address (the address itself is not echoed: it may
    hold anything), or None."""
    try:
        address.encode("utf-8")
    except UnicodeEncodeError:
        return "Adresse illisible : elle n'est pas en UTF-8"
    local, at, domain = normalise(address).rpartition("@")
    if not at or not local or "." not in domain or re.search(r"[\s\x00-\x1f\x7f<>]", address):
        return "Adresse mal formée : attendu nom@domaine.mssante.fr"
    return None



class MailService:
    """The decisions of MSSanté submission, for every protocol."""

    def __init__(self, sandbox: Sandbox, faults: FaultBook | None = None):
        self.sandbox = sandbox
        self.faults = faults or FaultBook(sandbox)

    @property
    def max_bytes(self) -> int:
        return self.sandbox.settings.mail_max_bytes

    # --- the service itself ---------------------------------------------------------------------
    def fault(self, tenant: str) -> FaultEffect:
        """The one fault decision of the mail service: SMTP, IMAP and HTTP answer alike."""
        fault = self.faults.active(tenant).get(mailstore.SERVICE)
        if fault is None:
            return FaultEffect()
        error = fault_error(fault, mailstore.SERVICE)  # the HTTP middleware's words
        if error is None:
            return FaultEffect(delay_seconds=fault.delay_ms / 1000)
        return FaultEffect(refusal=Refused(Refusal.UNAVAILABLE, error.diagnostics))

    # --- the transaction --------------------------------------------------------------------------
    def open(self, who: Submitter, mail_from: str, via: Via) -> Submission | Refused:
        """A transaction from `mail_from`, if this persona may send and under that address."""
        decision = policy.can(who.actor, "mssante.send")
        if not decision.allowed:
            return self._refuse(who, "mssante.send", Refused(Refusal.FORBIDDEN, decision.reason))
        problem = address_problem(mail_from)
        if problem:
            return self._refuse(who, "mssante.spoofing", Refused(Refusal.BAD_ADDRESS, problem))
        sender = normalise(mail_from)
        if not self._may_send_as(who, sender):
            return self._refuse(who, "mssante.spoofing", Refused(
                Refusal.SENDER, self._spoofing(who, f"l'expéditeur <{sender}>")), de=sender)
        return Submission(who, sender, via)

    def add_recipient(self, submission: Submission, address: str) -> RecipientAdded | Refused:
        """One more recipient: known in the Annuaire, within the per-transaction bound."""
        who = submission.who
        limit = self.sandbox.settings.mail_max_recipients
        submission.attempts += 1
        if submission.attempts > limit:
            refused = Refused(Refusal.TOO_MANY_RECIPIENTS,
                              f"Trop de destinataires : {limit} au plus par message (refusés et "
                              "répétés compris) ; envoyez plusieurs messages")
            if submission.attempts == limit + 1:  # traced once, not once per extra recipient
                self._refuse(who, "mssante.recipient", refused)
            return refused
        problem = address_problem(address)
        if problem:
            return self._refuse(who, "mssante.recipient", Refused(Refusal.BAD_ADDRESS, problem))
        address = normalise(address)
        if address in submission.recipients:
            return RecipientAdded(address, duplicate=True)
        refused = self._recipient_problem(who.actor.tenant, address)
        if refused:
            return self._refuse(who, "mssante.recipient", refused, a=address)
        submission.recipients.append(address)
        return RecipientAdded(address, duplicate=False)

    def too_big(self, who: Submitter, size: int) -> Refused | None:
        """The size refusal for a message of `size` bytes (traced), or None."""
        if size <= self.max_bytes:
            return None
        return self._refuse(who, "mssante.send", Refused(Refusal.TOO_BIG,
                                                          too_big_reason(self.max_bytes)),
                            taille=size)

    def submit(self, submission: Submission, raw: bytes) -> Accepted | Quarantined | Refused:
        """Check the content, then deliver (committed before this returns) or quarantine."""
        who, tenant = submission.who, submission.who.actor.tenant
        refused = self.too_big(who, len(raw))
        if refused:
            return refused
        try:
            message = checks.parse(raw)
            problem = checks.mime_problem(message)
            if problem:
                problem = f"MIME mal formé : {problem}"
            else:
                stranger = self._header_stranger(who, message)
                if stranger:
                    return self._refuse(who, "mssante.spoofing", Refused(
                        Refusal.HEADER_FROM, self._spoofing(who, f"l'en-tête {stranger}")))
                problem = checks.attachment_problem(message)
            subject = str(message.get("Subject", ""))[:500]
            documents = [] if problem else checks.xdm_documents(message)
            codes = ",".join(d.type_code for d in documents)
            patients = ",".join(sorted({d.ins for d in documents}))
            has = {name: name in message for name in ("Date", "Message-ID")}
        except Exception as exc:  # hostile input: a reason, never a crash
            problem, subject, codes, patients = f"message illisible ({type(exc).__name__})", "", "", ""
        if problem:
            qid = mailstore.quarantine(self.sandbox, tenant, who.sender, submission.mail_from,
                                       submission.recipients, raw, problem)
            return Quarantined(qid, problem)
        message_id = mailstore.new_message_id()
        stamped = self._trace_headers(submission, message_id, has) + raw
        mailstore.deliver(self.sandbox, tenant, who.sender, submission.mail_from,
                          submission.recipients, stamped, subject=subject,
                          detail={"documents": codes, "ins": patients} if codes else {},
                          message_id=message_id)
        return Accepted(message_id, tuple(submission.recipients))

    # --- helpers ----------------------------------------------------------------------------------
    @staticmethod
    def _may_send_as(who: Submitter, address: str) -> bool:
        return address == who.mailbox or policy.can(who.actor, "mssante.send_as").allowed

    @staticmethod
    def _spoofing(who: Submitter, what: str) -> str:
        own = who.mailbox or "aucune (cette persona n'a pas de boîte MSSanté)"
        return (f"Usurpation refusée : {what} n'est pas votre boîte aux lettres ; votre adresse "
                f"MSSanté est {own}")

    def _header_stranger(self, who: Submitter, message) -> str | None:
        """The From:/Sender: header naming another address than the persona's, or None (read
        from the raw headers: the parsed ones cost more than the rest of a delivery)."""
        if policy.can(who.actor, "mssante.send_as").allowed:
            return None
        values: dict[str, list[str]] = {"from": [], "sender": []}
        for name, value in message.raw_items():
            values.get(name.lower(), []).append(value)
        if len(values["from"]) != 1:
            return "From: (un message en porte exactement un)"
        for name, found in (("From", values["from"]), ("Sender", values["sender"])):
            for _display, address in getaddresses(found):
                if normalise(address) != who.mailbox:
                    return f"{name}: <{normalise(address)}>"
        return None

    def _recipient_problem(self, tenant: str, address: str) -> Refused | None:
        domain = address.rpartition("@")[2]
        if mailstore.mailbox_known(self.sandbox.store, tenant, address):
            return None
        with self.sandbox.store.session() as db:
            if not domain.endswith(SANDBOX_SUFFIX) or not mailstore.domain_known(db, tenant,
                                                                                  domain):
                return Refused(Refusal.RELAY, (
                    f"Relais refusé : le domaine « {domain} » est hors de l'espace de confiance "
                    "MSSanté du bac à sable (seules les adresses de l'Annuaire Santé sont "
                    "joignables)"))
        if domain == mailstore.PATIENT_DOMAIN:
            return Refused(Refusal.UNKNOWN_RECIPIENT, (
                f"Destinataire inconnu : <{address}> n'est pas une messagerie Mon espace santé "
                "ouverte ; l'adresse est <matricule INS (15 chiffres)>@patient.mssante.fr, "
                "avec l'INS qualifiée du patient"))
        return Refused(Refusal.UNKNOWN_RECIPIENT, (
            f"Destinataire inconnu : <{address}> n'est pas dans l'Annuaire Santé ; vérifiez "
            "l'adresse dans l'Annuaire"))

    def _trace_headers(self, submission: Submission, message_id: str,
                       has: dict[str, bool]) -> bytes:
        """Return-Path and Received (RFC 5321 §4.4), Date and Message-ID when missing (RFC
        6409 §8.2-8.3), as the submission and delivery server this sandbox is."""
        via, now = submission.via, format_datetime(self.sandbox.clock.now())
        client = _token(via.client_name) or "inconnu"
        address = f" ({_token(via.client_address)})" if via.client_address else ""
        single = (f"\r\n\tfor <{submission.recipients[0]}>"
                  if len(submission.recipients) == 1 else "")
        lines = [f"Return-Path: <{submission.mail_from}>",
                 f"Received: from {client}{address}\r\n\tby {SERVER_NAME} (santelab MSSanté) "
                 f"with {via.protocol} id {message_id}{single};\r\n\t{now}"]
        if not has.get("Date"):
            lines.append(f"Date: {now}")
        if not has.get("Message-ID"):
            domain = submission.mail_from.rpartition("@")[2] or "mssante.fr"
            lines.append(f"Message-ID: <{message_id}@{domain}>")
        return "".join(line + "\r\n" for line in lines).encode("utf-8")

    def _refuse(self, who: Submitter, action: str, refused: Refused, **detail) -> Refused:
        """Trace a refusal in the event stream (tracing never turns it into a crash)."""
        try:
            mailstore.refusal(self.sandbox, who.actor.tenant, who.sender, action,
                              refused.reason, **detail)
        except Exception:
            log.exception("could not record a refusal")
        return refused


def _token(text: str) -> str:
    """`text` reduced to what a Received: clause may carry (a name or an address)."""
    return re.sub(r"[^A-Za-z0-9.:\-\[\]_]", "", text)[:255]


__all__ = ["Accepted", "FaultEffect", "MailService", "Quarantined", "RecipientAdded", "Refusal",
           "Refused", "Submission", "Submitter", "Via", "address_problem", "too_big_reason"]
