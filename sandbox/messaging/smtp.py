"""MSSanté SMTP submission: aiosmtpd speaks the protocol, `submission.MailService` decides.

This module only adapts. Each aiosmtpd hook turns its command into a call of the mail service
(on a worker thread: it reads the store) and the typed result into a reply line; every reply
goes out French and sanitised (`smtp_replies`). Password checks run on their own small pool,
never on the event loop, so a client guessing passwords slows nobody else.

Protocol: EHLO, STARTTLS required (once), AUTH PLAIN/LOGIN only after TLS, or EXTERNAL with a
persona certificate (`pki`); SIZE and DATA bounded by the `mail_max_bytes` setting. Logins
and passwords: see `logins.py`.
"""

from __future__ import annotations

import asyncio
import binascii
import logging
from base64 import b64decode
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import MISSING, SMTP, AuthResult, Envelope, Session, syntax

from sandbox.faults import FaultBook
from sandbox.login_throttle import LoginRefused
from sandbox.messaging import smtp_replies
from sandbox.messaging.logins import Authenticator
from sandbox.messaging.pki import certificate_login
from sandbox.messaging.submission import (
    Accepted,
    FaultEffect,
    MailService,
    Quarantined,
    RecipientAdded,
    Refusal,
    Refused,
    Submission,
    Submitter,
    Via,
)
from sandbox.runtime import Sandbox

log = logging.getLogger("sandbox.messaging")
# aiosmtpd warns on every AUTH about its own deprecated attribute: noise on the console.
logging.getLogger("mail.log").addFilter(
    lambda record: "login_data is deprecated" not in record.getMessage())

# Reply code and enhanced status of each refusal (RFC 5321 §4.2, RFC 3463).
CODES = {
    Refusal.UNAVAILABLE: "451 4.3.2",
    Refusal.FORBIDDEN: "550 5.7.1",
    Refusal.SENDER: "553 5.7.1",
    Refusal.HEADER_FROM: "550 5.7.1",
    Refusal.BAD_ADDRESS: "553 5.1.3",
    Refusal.RELAY: "550 5.7.1",
    Refusal.UNKNOWN_RECIPIENT: "550 5.1.1",
    Refusal.TOO_MANY_RECIPIENTS: "452 4.5.3",
    Refusal.TOO_BIG: "552 5.3.4",
}
STORE_FAILED = ("451 4.3.0 Erreur d'écriture dans la base du bac à sable : message non "
                "enregistré, réessayez")
INTERNAL_ERROR = "451 4.3.0 Erreur interne du bac à sable : commande non traitée, réessayez"


def reply(result: Submission | RecipientAdded | Accepted | Quarantined | Refused) -> str:
    """The reply line of a mail service result."""
    match result:
        case Refused(kind=kind, reason=reason):
            return f"{CODES[kind]} {reason}"
        case Submission():
            return "250 2.1.0 Expéditeur accepté"
        case RecipientAdded(duplicate=True):
            return "250 2.1.5 Destinataire déjà indiqué : il ne recevra qu'une copie"
        case RecipientAdded():
            return "250 2.1.5 Destinataire accepté"
        case Quarantined(quarantine_id=qid, reason=reason):
            return f"554 5.6.0 Message refusé et mis en quarantaine ({qid}) : {reason}"
        case Accepted(message_id=message_id, recipients=recipients):
            return f"250 2.0.0 Message {message_id} remis à {len(recipients)} destinataire(s)"
    raise TypeError(result)


class MailEnvelope(Envelope):
    """aiosmtpd's envelope, carrying the mail service's transaction."""

    def __init__(self) -> None:
        super().__init__()
        self.submission: Submission | None = None


class FrenchSMTP(SMTP):
    """aiosmtpd's SMTP with French, single-line replies and one STARTTLS per connection."""

    AuthLoginUsernameChallenge = "Identifiant :"
    AuthLoginPasswordChallenge = "Mot de passe :"

    def _create_envelope(self) -> MailEnvelope:
        return MailEnvelope()

    async def push(self, status: str | bytes) -> None:
        if isinstance(status, str):
            status = smtp_replies.reply(status, self.data_size_limit)
        await super().push(status)

    @syntax("STARTTLS", when="tls_context")
    async def smtp_STARTTLS(self, arg: str) -> None:
        if self._tls_protocol is not None:  # aiosmtpd would answer 220 then fail
            await self.push("503 5.5.1 TLS est déjà actif sur cette connexion")
            return
        await super().smtp_STARTTLS(arg)


def _decode(text: str) -> bytes | None:
    try:
        return b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        return None


class MssanteHandler:
    """aiosmtpd hooks: each asks the mail service and returns the reply line."""

    def __init__(self, sandbox: Sandbox, faults: FaultBook | None = None):
        self.sandbox = sandbox
        self.service = MailService(sandbox, faults)
        self.logins = Authenticator(sandbox)
        # Enough threads to batch commits; logins apart, so guessing never delays delivery.
        self.executor = ThreadPoolExecutor(max_workers=32, thread_name_prefix="santelab-mss")
        self.login_executor = ThreadPoolExecutor(max_workers=2,
                                                 thread_name_prefix="santelab-mss-login")

    @property
    def faults(self) -> FaultBook:
        return self.service.faults

    async def _run(self, func, *args, executor=None):
        """Store (or password) work off the event loop."""
        return await asyncio.get_running_loop().run_in_executor(
            executor or self.executor, lambda: func(*args))

    # --- authentication ------------------------------------------------------------------------
    async def auth_PLAIN(self, server: SMTP, args: list[str]) -> AuthResult:
        """AUTH PLAIN (RFC 4616): `authzid NUL login NUL password`, checked off the loop."""
        blob = await server.challenge_auth("") if len(args) == 1 else _decode(args[1])
        if blob is MISSING:  # aborted, or bad base64: aiosmtpd has answered
            return AuthResult(success=False)
        parts = blob.split(b"\x00") if blob is not None else []
        if blob is None or len(parts) != 3:
            await server.push("501 5.5.2 Can't split auth value" if blob is not None
                              else "501 5.5.2 Can't decode base64")
            return AuthResult(success=False)
        return await self._password_login(server, parts[1], parts[2])

    async def auth_LOGIN(self, server: SMTP, args: list[str]) -> AuthResult:
        """AUTH LOGIN: login then password, each base64 (a challenge for what was not given)."""
        login = (await server.challenge_auth(server.AuthLoginUsernameChallenge)
                 if len(args) == 1 else _decode(args[1]))
        if login is None:
            await server.push("501 5.5.2 Can't decode base64")
            return AuthResult(success=False)
        if login is MISSING:
            return AuthResult(success=False)
        password = await server.challenge_auth(server.AuthLoginPasswordChallenge)
        if password is MISSING:
            return AuthResult(success=False)
        return await self._password_login(server, login, password)

    async def _password_login(self, server: SMTP, login: bytes, password: bytes) -> AuthResult:
        peer = server.session.peer
        try:
            who = await self._run(
                partial(self.logins.login, login.decode("utf-8", "replace"),
                        password.decode("utf-8", "replace"), protocol="smtp",
                        address=peer[0] if isinstance(peer, tuple) else None),
                executor=self.login_executor)
        except LoginRefused as refused:  # handled=False: aiosmtpd sends it (else no reply)
            code = "454 4.7.0" if refused.throttled else "535 5.7.8"
            return AuthResult(success=False, handled=False, message=f"{code} {refused.reason}")
        return AuthResult(success=True, auth_data=who)

    async def auth_EXTERNAL(self, server: SMTP, args: list[str]) -> AuthResult:
        """AUTH EXTERNAL (RFC 4422): the persona is the one of the verified client certificate."""
        ssl_object = server.transport.get_extra_info("ssl_object") if server.transport else None
        name = certificate_login(ssl_object.getpeercert() if ssl_object else None)
        if name is None:
            return AuthResult(success=False, handled=False, message=(
                "535 5.7.8 Aucun certificat client de l'autorité du bac à sable présenté : "
                "AUTH EXTERNAL exige le certificat de votre persona"))
        who = await self._run(self.logins.by_certificate, name)
        if who is None:
            return AuthResult(success=False, handled=False, message=(
                f"535 5.7.8 Le certificat désigne « {name} », inconnu de ce bac à sable"))
        return AuthResult(success=True, auth_data=who)

    # --- the transaction -----------------------------------------------------------------------
    async def handle_MAIL(self, server: SMTP, session: Session, envelope: MailEnvelope,
                          address: str, mail_options: list[str]) -> str:
        who: Submitter = session.auth_data  # aiosmtpd asks AUTH first (auth_required)
        peer = session.peer[0] if isinstance(session.peer, tuple) else ""
        effect, result = await self._run(self._open, who, address,
                                         Via("ESMTPSA", session.host_name or "", str(peer)))
        if effect.delay_seconds:
            await asyncio.sleep(effect.delay_seconds)
        if isinstance(result, Submission):
            envelope.submission = result
            envelope.mail_from = address
            envelope.mail_options.extend(mail_options)
        return reply(result)

    def _open(self, who: Submitter, address: str, via: Via) -> tuple[FaultEffect, Submission | Refused]:
        """The fault, then the sender: one trip to a worker thread for MAIL FROM."""
        effect = self.service.fault(who.actor.tenant)
        return effect, effect.refusal or self.service.open(who, address, via)

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: MailEnvelope,
                          address: str, rcpt_options: list[str]) -> str:
        result = await self._run(self.service.add_recipient, envelope.submission, address)
        if isinstance(result, RecipientAdded) and not result.duplicate:
            envelope.rcpt_tos.append(result.address)
            envelope.rcpt_options.extend(rcpt_options)
        return reply(result)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: MailEnvelope) -> str:
        raw = envelope.original_content or b""
        try:
            return reply(await self._run(self.service.submit, envelope.submission, raw))
        except Exception:
            log.exception("delivery failed")
            return STORE_FAILED

    async def handle_exception(self, error: Exception) -> str:
        """Whatever went wrong, a French reply and no Python text (logged for developers)."""
        log.error("SMTP command failed", exc_info=error)
        return INTERNAL_ERROR


class MssanteController(Controller):
    """aiosmtpd's Controller with the French SMTP class."""

    def factory(self):
        return FrenchSMTP(self.handler, **self.SMTP_kwargs)


def smtp_controller(sandbox: Sandbox, credentials, *, host: str, port: int) -> MssanteController:
    return MssanteController(
        MssanteHandler(sandbox), hostname=host, port=port, server_hostname="localhost",
        tls_context=credentials.server_context(), require_starttls=True, auth_required=True,
        auth_require_tls=True, data_size_limit=sandbox.settings.mail_max_bytes,
        ident="santelab MSSanté (bac à sable)")
