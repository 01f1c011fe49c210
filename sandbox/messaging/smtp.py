"""MSSanté SMTP submission: aiosmtpd keeps the protocol, `MssanteHandler` decides.

Protocol (aiosmtpd): EHLO, STARTTLS required, AUTH PLAIN/LOGIN only after TLS, SIZE, DATA.
Policy (here): who may send (`sandbox.policy`, action `mssante.send`), sender = the persona's
own mailbox, recipients listed in the Annuaire, content checks, faults of the "mssante"
service. Each `handle_*` hook returns the reply line, in French.

Logins: `persona` (the server's default tenant, `settings.tenant`) or `persona@tenant`; the
password is the persona's password or a bearer token of that persona (what the Python client
uses, so it never keeps the password).
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from sandbox import policy
from sandbox.auth import Actor, authenticate, read_token
from sandbox.auth_models import PersonaRow
from sandbox.errors import ServiceError
from sandbox.faults import FaultBook
from sandbox.messaging import checks, mailstore
from sandbox.messaging.mailstore import Sender
from sandbox.messaging.pki import certificate_login
from sandbox.runtime import Sandbox

log = logging.getLogger("sandbox.messaging")
# aiosmtpd warns on every AUTH about its own deprecated attribute: noise on the console.
logging.getLogger("mail.log").addFilter(
    lambda record: "login_data is deprecated" not in record.getMessage())

MAX_SIZE = 10 * 1024 * 1024  # bytes: advertised in EHLO (SIZE) and enforced by aiosmtpd
SANDBOX_SUFFIX = ".mssante.fr"

# aiosmtpd's own protocol replies, in French (same codes, enhanced status added).
FRENCH_REPLIES = {
    "235 2.7.0 Authentication successful": "235 2.7.0 Authentification réussie",
    "220 Ready to start TLS": "220 2.0.0 Prêt pour TLS",
    "221 Bye": "221 2.0.0 Au revoir",
    "250 OK": "250 2.0.0 OK",
    "530 Must issue a STARTTLS command first":
        "530 5.7.0 Connexion non chiffrée : envoyez STARTTLS d'abord (MSSanté n'accepte que TLS)",
    "530 5.7.0 Authentication required":
        "530 5.7.0 Authentification requise : identifiez-vous (AUTH PLAIN ou LOGIN) avec votre "
        "persona et son mot de passe avant d'envoyer",
    "552 Error: message size exceeds fixed maximum message size":
        f"552 5.3.4 Message trop volumineux : la limite est de {MAX_SIZE // (1024 * 1024)} Mo",
    "552 Error: Too much mail data":
        f"552 5.3.4 Message trop volumineux : la limite est de {MAX_SIZE // (1024 * 1024)} Mo",
    "538 5.7.11 Encryption required for requested authentication mechanism":
        "538 5.7.11 Chiffrement requis : envoyez STARTTLS avant AUTH",
    "500 Line too long (see RFC5321 4.5.3.1.6)":
        "500 5.5.2 Ligne trop longue (plus de 1000 octets, RFC 5321 §4.5.3.1.6) : encodez le "
        "message en base64 ou quoted-printable, avec des fins de ligne CRLF",
    "500 Command line too long": "500 5.5.2 Commande trop longue",
    "503 Error: send EHLO first": "503 5.5.1 Présentez-vous d'abord (EHLO)",
    "503 Error: send HELO first": "503 5.5.1 Présentez-vous d'abord (HELO)",
    "504 5.5.4 Unrecognized authentication type":
        "504 5.5.4 Mécanisme d'authentification inconnu (PLAIN, LOGIN ou EXTERNAL)",
    "503 Error: need MAIL command": "503 5.5.1 Commande MAIL FROM attendue d'abord",
    "503 Error: need RCPT command": "503 5.5.1 Aucun destinataire : commande RCPT TO attendue",
    "503 Already authenticated": "503 5.5.1 Déjà authentifié",
    "535 5.7.8 Authentication credentials invalid":
        "535 5.7.8 Identifiant ou mot de passe incorrect pour ce bac à sable",
}


class FrenchSMTP(SMTP):
    """aiosmtpd's SMTP, its fixed English replies translated (the protocol is unchanged)."""

    async def push(self, status: str) -> None:
        await super().push(FRENCH_REPLIES.get(status, status))


@dataclass(frozen=True, slots=True)
class Submitter:
    actor: Actor
    mailbox: str | None

    @property
    def sender(self) -> Sender:
        return Sender(self.actor.login, self.actor.role, self.mailbox)


def split_login(login: str, default_tenant: str) -> tuple[str, str]:
    """`persona@tenant` → (tenant, persona); a login with a dotted suffix is an address."""
    name, at, tenant = login.rpartition("@")
    if at and tenant and "." not in tenant:
        return tenant, name
    return default_tenant, login


class Authenticator:
    """aiosmtpd authenticator: persona password or bearer token, per tenant."""

    def __init__(self, sandbox: Sandbox):
        self.sandbox = sandbox

    def check(self, login: str, password: str) -> Submitter | None:
        tenant, name = split_login(login, self.sandbox.settings.tenant)
        with self.sandbox.store.session() as session:
            if "@" in name:  # a mailbox address as login
                row = session.query(PersonaRow).filter(
                    PersonaRow.tenant == tenant,
                    PersonaRow.mailbox == mailstore.normalise(name)).first()
                if row is None:
                    return None
                name = row.login
            actor = None
            try:
                token_actor = read_token(password, secret=self.sandbox.settings.secret,
                                         now=self.sandbox.clock.now())
                if token_actor.tenant == tenant and token_actor.login == name:
                    actor = token_actor
            except (ServiceError, KeyError, ValueError):
                pass
            if actor is None:
                try:
                    actor = authenticate(session, tenant, name, password)
                except ServiceError:
                    return None
            row = session.get(PersonaRow, (tenant, actor.login))
            mailbox = row.mailbox.lower() if row is not None and row.mailbox else None
        return Submitter(actor, mailbox)

    def by_certificate(self, name: str) -> Submitter | None:
        """The persona a verified client certificate names (`login@tenant`)."""
        tenant, login = split_login(name, self.sandbox.settings.tenant)
        with self.sandbox.store.session() as session:
            row = session.get(PersonaRow, (tenant, login))
            if row is None:
                return None
            actor = Actor(tenant, row.login, row.role, row.practitioner_id, row.patient_id)
            return Submitter(actor, row.mailbox.lower() if row.mailbox else None)

    def __call__(self, server, session: Session, envelope: Envelope, mechanism: str,
                 auth_data) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        submitter = self.check(auth_data.login.decode("utf-8", "replace"),
                               auth_data.password.decode("utf-8", "replace"))
        if submitter is None:
            # handled=False: aiosmtpd sends the 535 (otherwise the client waits forever)
            return AuthResult(success=False, handled=False)
        return AuthResult(success=True, auth_data=submitter)


class MssanteHandler:
    """The policy of the MSSanté submission server: each hook returns its reply line."""

    def __init__(self, sandbox: Sandbox, faults: FaultBook | None = None):
        self.sandbox = sandbox
        self.faults = faults or FaultBook(sandbox)
        self.executor = ThreadPoolExecutor(max_workers=32, thread_name_prefix="santelab-mss")

    # --- helpers -------------------------------------------------------------------------------
    @staticmethod
    def _submitter(session: Session) -> Submitter | None:
        data = session.auth_data
        return data if isinstance(data, Submitter) else None

    async def _db(self, func, *args, **kwargs):
        """Blocking store work off the event loop (enough threads to batch commits)."""
        return await asyncio.get_running_loop().run_in_executor(
            self.executor, lambda: func(*args, **kwargs))

    def _refuse(self, who: Submitter, action: str, reply: str, **detail) -> str:
        try:
            mailstore.refusal(self.sandbox, who.actor.tenant, who.sender, action,
                              reply[10:] if reply[:1] in "45" else reply, **detail)
        except Exception:  # tracing must never turn a refusal into a crash
            log.exception("could not record a refusal")
        return reply

    async def _fault(self, tenant: str) -> str | None:
        fault = (await self._db(self.faults.active, tenant)).get(mailstore.SERVICE)
        if fault is None:
            return None
        if fault.delay_ms:
            await asyncio.sleep(fault.delay_ms / 1000)
        if fault.mode in ("indisponible", "erreur"):
            text = fault.message or "Service MSSanté indisponible (panne simulée) : réessayez plus tard"
            return f"451 4.3.2 {text}"
        return None

    # --- mutual TLS ----------------------------------------------------------------------------
    async def auth_EXTERNAL(self, server, args) -> AuthResult:
        """AUTH EXTERNAL (RFC 4422): the persona is the one of the verified client certificate."""
        ssl_object = server.transport.get_extra_info("ssl_object") if server.transport else None
        name = certificate_login(ssl_object.getpeercert() if ssl_object else None)
        if name is None:
            return AuthResult(success=False, handled=False, message=(
                "535 5.7.8 Aucun certificat client de l'autorité du bac à sable présenté : "
                "AUTH EXTERNAL exige le certificat de votre persona"))
        submitter = await self._db(Authenticator(self.sandbox).by_certificate, name)
        if submitter is None:
            return AuthResult(success=False, handled=False, message=(
                f"535 5.7.8 Le certificat désigne « {name} », inconnu de ce bac à sable"))
        return AuthResult(success=True, auth_data=submitter)

    # --- hooks ---------------------------------------------------------------------------------
    async def handle_MAIL(self, server, session: Session, envelope: Envelope, address: str,
                          mail_options: list[str]) -> str:
        who = self._submitter(session)
        if who is None:
            return FRENCH_REPLIES["530 5.7.0 Authentication required"]
        fault = await self._fault(who.actor.tenant)
        if fault:
            return fault
        decision = policy.can(who.actor, "mssante.send")
        if not decision.allowed:
            return await self._db(self._refuse, who, "mssante.send",
                                  f"550 5.7.1 {decision.reason}")
        sender = mailstore.normalise(address)
        if who.actor.role != "facilitateur" and sender != who.mailbox:
            own = who.mailbox or "aucune (cette persona n'a pas de boîte MSSanté)"
            return await self._db(
                self._refuse, who, "mssante.spoofing",
                f"553 5.7.1 Usurpation refusée : l'expéditeur <{sender}> n'est pas votre boîte "
                f"aux lettres ; votre adresse MSSanté est {own}", de=sender)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 Expéditeur accepté"

    def _check_recipient(self, tenant: str, address: str) -> str | None:
        domain = address.rpartition("@")[2]
        with self.sandbox.store.session() as db:
            if mailstore.mailbox_exists(db, tenant, address):
                return None
            if not domain.endswith(SANDBOX_SUFFIX) or not mailstore.domain_known(db, tenant,
                                                                                  domain):
                return (f"550 5.7.1 Relais refusé : le domaine « {domain} » est hors de l'espace "
                        "de confiance MSSanté du bac à sable (seules les adresses de l'Annuaire "
                        "Santé sont joignables)")
        return (f"550 5.1.1 Destinataire inconnu : <{address}> n'est pas dans l'Annuaire Santé ; "
                "vérifiez l'adresse dans l'Annuaire")

    async def handle_RCPT(self, server, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        who = self._submitter(session)
        if who is None:
            return FRENCH_REPLIES["530 5.7.0 Authentication required"]
        address = mailstore.normalise(address)
        if len(envelope.rcpt_tos) >= 100:
            return "452 4.5.3 Trop de destinataires (100 au plus par message)"
        problem = await self._db(self._check_recipient, who.actor.tenant, address)
        if problem:
            return await self._db(self._refuse, who, "mssante.recipient", problem, a=address)
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 Destinataire accepté"

    async def handle_DATA(self, server, session: Session, envelope: Envelope) -> str:
        who = self._submitter(session)
        if who is None:
            return FRENCH_REPLIES["530 5.7.0 Authentication required"]
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        try:
            return await self._db(self.accept, who, envelope.mail_from, list(envelope.rcpt_tos),
                                  raw)
        except Exception:
            log.exception("delivery failed")
            return ("451 4.3.0 Erreur d'écriture dans la base du bac à sable : message non "
                    "enregistré, réessayez")

    def accept(self, who: Submitter, mail_from: str, recipients: list[str], raw: bytes) -> str:
        """Check the content, then deliver (commit) or quarantine; the reply line."""
        tenant = who.actor.tenant
        try:
            message = checks.parse(raw)
            problem = checks.mime_problem(message)
            if problem:
                problem = f"MIME mal formé : {problem}"
            else:
                problem = checks.attachment_problem(message)
            subject = str(message.get("Subject", ""))[:500]
            codes = ",".join(d.type_code for d in checks.xdm_documents(message)) \
                if not problem else ""
        except Exception as exc:  # hostile input: a reason, never a crash
            problem, subject, codes = f"message illisible ({type(exc).__name__})", "", ""
        if problem:
            qid = mailstore.quarantine(self.sandbox, tenant, who.sender, mail_from, recipients,
                                       raw, problem)
            return f"554 5.6.0 Message refusé et mis en quarantaine ({qid}) : {problem}"
        detail = {"documents": codes} if codes else {}
        message_id = mailstore.deliver(self.sandbox, tenant, who.sender, mail_from, recipients,
                                       raw, subject=subject, detail=detail)
        return f"250 2.0.0 Message {message_id} remis à {len(recipients)} destinataire(s)"


class MssanteController(Controller):
    """aiosmtpd's Controller with the French SMTP class."""

    def factory(self):
        return FrenchSMTP(self.handler, **self.SMTP_kwargs)


def smtp_controller(sandbox: Sandbox, credentials, *, host: str, port: int) -> MssanteController:
    return MssanteController(
        MssanteHandler(sandbox), hostname=host, port=port, server_hostname="localhost",
        tls_context=credentials.server_context(), require_starttls=True,
        authenticator=Authenticator(sandbox), auth_required=True, auth_require_tls=True,
        data_size_limit=MAX_SIZE, ident="santelab MSSanté (bac à sable)")
