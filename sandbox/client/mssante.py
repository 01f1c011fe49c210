"""`s.mssante` : la messagerie sécurisée de santé depuis un notebook (vrais SMTP/IMAP s'ils tournent).

    >>> s.mssante.send(to="pauline.robin@pharmacien.mssante.fr", subject="Ordonnance",
    ...                body="Bonjour…", attachments=[Path("cr.pdf")])
    >>> s.mssante.inbox()                       # résumés, le plus récent en dernier
    >>> m = s.mssante.read(3)                   # le marque lu (\\Seen)
    >>> m.documents()[0].ins                    # les documents CDA de son IHE_XDM.ZIP
    >>> s.mssante.report(3)                     # signaler un hameçonnage
    >>> s.mssante.send_document(to=…, document=pdf_bytes, ins=…, type_code="11488-4", …)

When `santelab sandbox up` runs the SMTP and IMAP servers (the HTTP API says so at
`/mssante/serveur`), the client submits with smtplib (STARTTLS, AUTH PLAIN with the connection's
token as password) and reads with imaplib; otherwise (in-process, Binder, tests) it goes
through the HTTP API, which applies the same checks. `id` is the message's IMAP UID.
"""

from __future__ import annotations

import base64
import email
import imaplib
import re
import smtplib
import ssl
import tempfile
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr, parsedate_to_datetime
from pathlib import Path
from typing import Any

from sandbox.client.errors import (
    AccessDenied,
    ConnectionFailed,
    InvalidRequest,
    NotFound,
    SandboxError,
    ServiceUnavailable,
)
from sandbox.client.transport import Resource
from sandbox.messaging import xdm
from sandbox.messaging.xdm import ClinicalDocument

INS_TEST_OID = xdm.INS_TEST_OID


@dataclass
class Attachment:
    """Une pièce jointe : nom, contenu, type."""

    filename: str
    data: bytes
    content_type: str = "application/octet-stream"

    @property
    def is_xdm(self) -> bool:
        """Vrai pour une archive IHE_XDM.ZIP (un document de santé structuré)."""
        name = self.filename.upper()
        return name == xdm.ZIP_NAME or (name.endswith(".ZIP") and "XDM" in name)

    def open(self) -> ClinicalDocument:
        """Le document de santé d'une IHE_XDM.ZIP (vérifié : tailles, structure, INS)."""
        return xdm.open_xdm(self.data)

    @classmethod
    def of(cls, item: Any) -> Attachment:
        """Une pièce jointe à partir d'un chemin de fichier, d'octets nommés ou d'une pièce jointe."""
        if isinstance(item, Attachment):
            return item
        if isinstance(item, str | Path):
            path = Path(item)
            kind = "application/pdf" if path.suffix.lower() == ".pdf" else \
                "application/octet-stream"
            return cls(path.name, path.read_bytes(), kind)
        if isinstance(item, tuple):
            return cls(*item)
        if isinstance(item, dict):
            return cls(item["filename"], item["data"],
                       item.get("content_type", "application/octet-stream"))
        raise TypeError(f"pièce jointe non reconnue : {item!r}")


@dataclass
class Summary:
    """Un message de la boîte, résumé : numéro, expéditeur, objet, date, drapeaux."""

    id: int
    sender: str
    subject: str
    date: str
    flags: list[str] = field(default_factory=list)

    @property
    def seen(self) -> bool:
        """Vrai si le message a été lu."""
        return "\\Seen" in self.flags


@dataclass
class Message:
    """Un message lu : expéditeur, destinataires, objet, corps, pièces jointes, en-têtes."""

    id: int
    sender: str
    to: list[str]
    subject: str
    date: str
    body: str
    attachments: list[Attachment]
    headers: dict[str, str]
    flags: list[str]
    raw: bytes = field(repr=False)

    def documents(self) -> list[ClinicalDocument]:
        """Les documents de santé de ses pièces jointes IHE_XDM.ZIP."""
        return [a.open() for a in self.attachments if a.is_xdm]

    @classmethod
    def parse(cls, uid: int, raw: bytes, flags: list[str]) -> Message:
        """Le message lu à partir de sa forme brute (RFC 5322) et de ses drapeaux IMAP."""
        msg = email.message_from_bytes(raw, policy=policy.default)
        body_part = msg.get_body(preferencelist=("plain", "html"))
        body = body_part.get_content() if body_part is not None else ""
        attachments = [Attachment(p.get_filename() or "sans-nom",
                                  p.get_payload(decode=True) or b"", p.get_content_type())
                       for p in msg.iter_attachments()]
        to = [parseaddr(a)[1] for a in str(msg.get("To", "")).split(",") if a.strip()]
        return cls(uid, parseaddr(str(msg.get("From", "")))[1], to, str(msg.get("Subject", "")),
                   str(msg.get("Date", "")), body, attachments,
                   {k: str(v) for k, v in msg.items()}, flags, raw)


_REPLY_ERRORS = {"451": ServiceUnavailable, "550 5.1.1": NotFound, "550": AccessDenied,
                 "553": AccessDenied, "554": InvalidRequest, "552": InvalidRequest,
                 "530": AccessDenied, "535": AccessDenied}


def _smtp_error(code: int, text: bytes | str) -> SandboxError:
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    key = f"{code} {text[:5]}"
    cls = _REPLY_ERRORS.get(key) or _REPLY_ERRORS.get(str(code), SandboxError)
    message = text[6:] if re.match(r"\d\.\d\.\d+ ", text) else text
    return cls(message, status=code)


class Mssante(Resource):
    """La boîte aux lettres MSSanté de la persona : envoyer, lire, signaler."""

    def __init__(self, connection: Any):
        super().__init__(connection)
        self._info: dict | None = None
        self._ca_file: str | None = None

    # --- transport choice -------------------------------------------------------------------
    def _server(self) -> dict:
        if self._info is None:
            self._info = self._get("/mssante/serveur")
        return self._info

    @property
    def mode(self) -> str:
        """« smtp » (vrais serveurs SMTP/IMAP) ou « http » (l'API HTTP, par exemple dans le notebook)."""
        return "smtp" if self._server().get("smtp") else "http"

    def _context(self) -> ssl.SSLContext:
        if self._ca_file is None:
            with tempfile.NamedTemporaryFile("w", suffix=".pem", delete=False) as handle:
                handle.write(self._server()["ca_pem"])
            self._ca_file = handle.name
        return ssl.create_default_context(cafile=self._ca_file)

    @property
    def _login(self) -> str:
        return f"{self._connection.persona}@{self._connection.tenant}"

    def _imap(self) -> imaplib.IMAP4:
        info = self._server()["imap"]
        try:
            imap = imaplib.IMAP4(info["host"], info["port"], timeout=30)
            imap.starttls(ssl_context=self._context())
            imap.login(self._login, self._connection.token)
        except imaplib.IMAP4.error as exc:
            raise AccessDenied(f"Connexion IMAP refusée : {exc}") from None
        except OSError as exc:
            raise ConnectionFailed(f"Serveur IMAP MSSanté injoignable : {exc}") from None
        imap.select("INBOX")
        return imap

    # --- sending ----------------------------------------------------------------------------
    @property
    def address(self) -> str | None:
        """L'adresse MSSanté de la persona (None si elle n'a pas de boîte)."""
        return self._server().get("adresse")

    def send(self, to: str | list[str], subject: str = "", body: str = "",
             attachments: list[Any] | None = None,
             headers: dict[str, str] | None = None) -> dict:
        """Envoyer un message ; rend son identifiant et ses destinataires. Un refus lève une
        erreur typée, expliquée en français."""
        recipients = [to] if isinstance(to, str) else list(to)
        items = [Attachment.of(a) for a in attachments or []]
        if self.mode == "http":
            return self._post("/mssante/messages", json={
                "to": recipients, "subject": subject, "body": body, "headers": headers or {},
                "attachments": [{"filename": a.filename, "content_type": a.content_type,
                                 "data": base64.b64encode(a.data).decode()} for a in items]})
        return self._send_smtp(recipients, subject, body, items, headers or {})

    def _send_smtp(self, recipients: list[str], subject: str, body: str,
                   items: list[Attachment], headers: dict[str, str]) -> dict:
        sender = self._sender_address()
        message = EmailMessage()
        message["From"] = sender
        message["To"] = ", ".join(recipients)
        message["Subject"] = subject
        message["Date"] = format_datetime(self._session_now())
        message["Message-ID"] = make_msgid(domain=sender.partition("@")[2])
        for name, value in headers.items():
            message[name] = value
        message.set_content(body)
        for a in items:
            maintype, _, subtype = a.content_type.partition("/")
            message.add_attachment(a.data, maintype=maintype, subtype=subtype,
                                   filename=a.filename)
        info = self._server()["smtp"]
        try:
            with smtplib.SMTP(info["host"], info["port"], timeout=60) as smtp:
                smtp.starttls(context=self._context())
                smtp.login(self._login, self._connection.token)
                code, reply = smtp.mail(sender)
                if code != 250:
                    raise _smtp_error(code, reply)
                for rcpt in recipients:  # any refused recipient stops the sending, as over HTTP
                    code, reply = smtp.rcpt(rcpt)
                    if code != 250:
                        raise _smtp_error(code, reply)
                code, reply = smtp.data(message.as_bytes(policy=policy.SMTP))
                if code != 250:
                    raise _smtp_error(code, reply)
        except smtplib.SMTPAuthenticationError as exc:
            raise _smtp_error(exc.smtp_code, exc.smtp_error) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise ConnectionFailed(f"Serveur SMTP MSSanté injoignable : {exc}") from None
        text = reply.decode("utf-8", "replace")
        message_id = text.split()[2] if len(text.split()) > 2 else ""
        return {"message_id": message_id, "id": message_id, "destinataires": recipients,
                "reponse": f"{code} {text}"}

    def _session_now(self):
        from datetime import UTC, datetime

        return datetime.now(UTC)

    def _sender_address(self) -> str:
        address = self.address
        if not address:
            raise AccessDenied("Cette persona n'a pas de boîte aux lettres MSSanté.")
        return address

    # --- reading ----------------------------------------------------------------------------
    def inbox(self) -> list[Summary]:
        """Les messages de la boîte, du plus ancien au plus récent."""
        if self.mode == "http":
            return [Summary(m["id"], m["de"], m["objet"], m["date"], m["drapeaux"])
                    for m in self._get("/mssante/messages")]
        imap = self._imap()
        try:
            _typ, data = imap.uid("FETCH", "1:*", "(UID FLAGS BODY.PEEK[HEADER])")
        finally:
            imap.logout()
        found = []
        for item in data:
            if not isinstance(item, tuple):
                continue
            meta = item[0].decode()
            uid = int(re.search(r"UID (\d+)", meta).group(1))
            flags = list(map(bytes.decode, imaplib.ParseFlags(item[0])))
            head = email.message_from_bytes(item[1], policy=policy.default)
            found.append(Summary(uid, parseaddr(str(head.get("From", "")))[1],
                                 str(head.get("Subject", "")), _iso(head.get("Date")), flags))
        return sorted(found, key=lambda s: s.id)

    def read(self, id: int) -> Message:
        """Lire un message (corps, pièces jointes, en-têtes) ; il est marqué lu."""
        if self.mode == "http":
            response = self._raw("GET", f"/mssante/messages/{int(id)}")
            flags = response.headers.get("X-MSS-Drapeaux", "").split()
            return Message.parse(int(id), response.content, flags)
        imap = self._imap()
        try:
            _typ, data = imap.uid("FETCH", str(int(id)), "(FLAGS BODY[])")
            _typ, flagged = imap.uid("FETCH", str(int(id)), "(FLAGS)")
        finally:
            imap.logout()
        parts = [d for d in data if isinstance(d, tuple)]
        if not parts:
            raise NotFound(f"Aucun message n° {id} dans votre boîte MSSanté.")
        flags = list(map(bytes.decode, imaplib.ParseFlags(flagged[0] or b"")))
        return Message.parse(int(id), parts[0][1], flags)

    def report(self, id: int) -> dict:
        """Signaler un message comme hameçonnage (drapeau $Phishing, tracé dans le flux d'événements)."""
        if self.mode == "http":
            return self._post(f"/mssante/messages/{int(id)}/signalement")
        imap = self._imap()
        try:
            typ, _data = imap.uid("STORE", str(int(id)), "+FLAGS", "($Phishing)")
        finally:
            imap.logout()
        if typ != "OK":
            raise NotFound(f"Aucun message n° {id} dans votre boîte MSSanté.")
        return {"id": int(id), "signale": True}

    def certificate(self, path: str | Path | None = None) -> Path:
        """Écrire le certificat client de la persona et sa clé (PEM), pour le TLS mutuel et
        `AUTH EXTERNAL` (par exemple `swaks --tls-cert F --tls-key F`) ; rend le chemin."""
        pem = self._raw("GET", "/mssante/certificat").content
        target = Path(path) if path else Path(tempfile.mkdtemp()) / f"{self._connection.persona}.pem"
        target.write_bytes(pem)
        target.chmod(0o600)
        return target

    # --- clinical documents -----------------------------------------------------------------
    @staticmethod
    def xdm(document: bytes, *, ins: str, type_code: str, title: str, class_code: str = "10",
            confidentiality: str = "N", ins_oid: str = INS_TEST_OID, patient_name: str = "",
            author: str = "") -> Attachment:
        """Une pièce jointe IHE_XDM.ZIP pour un document CDA (octets) ou un PDF (placé dans un CDA
        de niveau 1)."""
        data = xdm.build_xdm(document, ins=ins, ins_oid=ins_oid, type_code=type_code,
                             class_code=class_code, confidentiality=confidentiality,
                             title=title, patient_name=patient_name, author=author)
        return Attachment(xdm.ZIP_NAME, data, "application/zip")

    def send_document(self, to: str | list[str], document: bytes, *, ins: str,
                      type_code: str, title: str, class_code: str = "10",
                      confidentiality: str = "N", subject: str | None = None,
                      body: str = "", patient_name: str = "") -> dict:
        """Envoyer un document comme MSSanté l'exige : IHE_XDM.ZIP et en-têtes X-MSS-CODECDA /
        X-MSS-INS."""
        package = self.xdm(document, ins=ins, type_code=type_code, title=title,
                           class_code=class_code, confidentiality=confidentiality,
                           patient_name=patient_name)
        headers = {"X-MSS-CODECDA": type_code, "X-MSS-INS": "O"}
        return self.send(to, subject or title, body or f"Document joint : {title}.",
                         attachments=[package], headers=headers)

    def file_to_dmp(self, id: int) -> list[Any]:
        """Verser au DMP les documents d'un message reçu (par `s.dmp.add`)."""
        filed = []
        for doc in self.read(id).documents():
            kwargs = {"pdf": doc.pdf} if doc.pdf is not None else {"text": doc.cda.decode()}
            filed.append(self._connection.dmp.add(
                doc.ins, type=doc.type_code, title=doc.title or "Document reçu par MSSanté",
                class_code=doc.class_code or None, confidentiality=doc.confidentiality or "N",
                **kwargs))
        return filed


def _iso(value: Any) -> str:
    try:
        return parsedate_to_datetime(str(value)).isoformat()
    except (TypeError, ValueError):
        return str(value or "")
