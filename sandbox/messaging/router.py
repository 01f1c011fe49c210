"""MSSanté over HTTP: the client's in-process path, trap injection, and the trap landing page.

Sending is a thin adapter over `submission.MailService`, as the SMTP server is: the same
checks, limits, faults and trace headers, its typed results mapped to HTTP statuses here, so a
refusal reads the same whether a notebook sends over HTTP or SMTP.
"""

from __future__ import annotations

import base64
import html
import string
from email import policy
from email.message import EmailMessage
from importlib import resources
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, Response

from sandbox.auth_models import PersonaRow
from sandbox.errors import ServiceError
from sandbox.injection import ServiceContext, service_context
from sandbox.messaging import mailstore, traps
from sandbox.messaging.pki import ca_path, load_ca, persona_certificate
from sandbox.messaging.schemas import Outgoing, TrapRequest
from sandbox.messaging.smtp import reply
from sandbox.messaging.submission import (
    Accepted,
    MailService,
    Quarantined,
    Refusal,
    Refused,
    Submission,
    Submitter,
    Via,
)
from sandbox.service_router import ServiceRouter

router = ServiceRouter(prefix="/mssante", tags=["MSSanté"])
landing = APIRouter(prefix="/piege", tags=["MSSanté"], include_in_schema=False)
Ctx = Annotated[ServiceContext, Depends(service_context("mssante"))]

# HTTP status of each refusal of the mail service (SMTP: smtp.CODES).
STATUS = {
    Refusal.UNAVAILABLE: 503,
    Refusal.FORBIDDEN: 403,
    Refusal.SENDER: 403,
    Refusal.HEADER_FROM: 403,
    Refusal.BAD_ADDRESS: 400,
    Refusal.RELAY: 403,
    Refusal.UNKNOWN_RECIPIENT: 404,
    Refusal.TOO_MANY_RECIPIENTS: 400,
    Refusal.TOO_BIG: 413,
}
NO_MAILBOX_SENDER = "animation@mssante.fr"  # From: of a persona without a mailbox (facilitator)


Uid = Annotated[int, PathParam(ge=1, le=2**31 - 1, description="UID IMAP du message")]


def _persona(ctx: ServiceContext) -> Submitter:
    row = ctx.session.get(PersonaRow, (ctx.tenant, ctx.actor.login))
    mailbox = row.mailbox.lower() if row is not None and row.mailbox else None
    return Submitter(ctx.actor, mailbox)


def _mailbox(ctx: ServiceContext) -> str:
    who = _persona(ctx)
    if who.mailbox is None:
        raise ServiceError(404, "Cette persona n'a pas de boîte aux lettres MSSanté : "
                                "connectez-vous avec une persona professionnelle.")
    return who.mailbox


def compose(sender: str, body: Outgoing) -> bytes:
    """The message of an HTTP send (Date and Message-ID are added on submission)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(body.to)
    message["Subject"] = body.subject
    try:
        for name, value in body.headers.items():
            message[name] = value
        message.set_content(body.body)
    except ValueError as exc:
        raise ServiceError(400, f"Message impossible à composer : {exc}.") from None
    for item in body.attachments:
        try:
            data = base64.b64decode(item.data, validate=True)
        except ValueError:
            raise ServiceError(400, f"Pièce jointe « {item.filename} » : base64 invalide.") \
                from None
        maintype, _, subtype = item.content_type.partition("/")
        message.add_attachment(data, maintype=maintype or "application",
                               subtype=subtype or "octet-stream", filename=item.filename)
    return message.as_bytes(policy=policy.SMTP)


def _outcome(result):
    """A mail service result, or the HTTP error it is."""
    match result:
        case Refused(kind=kind, reason=reason):
            raise ServiceError(STATUS[kind], _sentence(reason),
                               code="transient" if kind is Refusal.UNAVAILABLE else None)
        case Quarantined(quarantine_id=qid, reason=reason):
            raise ServiceError(422, _sentence(f"Message refusé et mis en quarantaine ({qid}) : "
                                              f"{reason}"))
    return result


def _sentence(text: str) -> str:
    """A reason closed by one full stop (reasons come with or without theirs)."""
    return text if text.endswith((".", "!", "?", "…")) else f"{text}."


@router.post("/messages", status_code=201, summary="Envoyer un message MSSanté")
def send(body: Outgoing, ctx: Ctx, request: Request) -> dict:
    service = MailService(ctx.sandbox, request.app.state.faults)
    who = _persona(ctx)
    _outcome(service.fault(ctx.tenant).refusal)
    sender = who.mailbox or NO_MAILBOX_SENDER
    submission: Submission = _outcome(service.open(who, sender, Via("HTTP")))
    for address in body.to:
        _outcome(service.add_recipient(submission, address))
    # Bounded before composing: the decoded attachments are smaller than their base64.
    _outcome(service.too_big(who, len(body.body.encode()) + sum(len(a.data) * 3 // 4
                                                                for a in body.attachments)))
    accepted: Accepted = _outcome(service.submit(submission, compose(sender, body)))
    return {"message_id": accepted.message_id, "id": accepted.message_id,
            "destinataires": list(accepted.recipients),
            "reponse": reply(accepted)}


def _summary(row) -> dict:
    return {"id": row.uid, "message_id": row.message_id, "de": row.sender,
            "objet": row.subject, "date": row.received_at.isoformat(),
            "taille": row.size, "drapeaux": list(row.flags or [])}


@router.get("/messages", summary="Boîte de réception de la persona")
def inbox(ctx: Ctx) -> list[dict]:
    mailbox = _mailbox(ctx)
    return [_summary(r) for r in mailstore.list_messages(ctx.session, ctx.tenant, mailbox)]


def _row(ctx: ServiceContext, uid: int):
    row = mailstore.get_message(ctx.session, ctx.tenant, _mailbox(ctx), uid)
    if row is None:
        raise ServiceError(404, f"Aucun message n° {uid} dans votre boîte MSSanté.")
    return row


@router.get("/messages/{uid}", summary="Lire un message (brut, RFC 5322) ; le marque lu",
            response_class=Response,
            responses={200: {"content": {"message/rfc822": {}}, "description": "Le message"}})
def read(uid: Uid, ctx: Ctx) -> Response:
    row = _row(ctx, uid)
    if "\\Seen" not in (row.flags or []):
        row.flags = [*list(row.flags or []), "\\Seen"]
    ctx.record("mssante.read", target=f"message/{row.message_id}")
    return Response(row.raw, media_type="message/rfc822",
                    headers={"X-MSS-Drapeaux": " ".join(row.flags)})


@router.post("/messages/{uid}/signalement", summary="Signaler un message (hameçonnage)")
def report(uid: Uid, ctx: Ctx) -> dict:
    row = _row(ctx, uid)
    flags = list(row.flags or [])
    if "$Phishing" not in flags:
        row.flags = [*flags, "$Phishing"]
    ctx.record("mssante.report", target=f"message/{row.message_id}",
               detail={"boite": row.mailbox, "via": "api"})
    return {"id": uid, "signale": True, "drapeaux": list(row.flags)}


@router.get("/serveur", summary="Adresses SMTP/IMAP et autorité de certification du bac à sable")
def server_info(ctx: Ctx) -> dict:
    from sandbox.messaging import running

    servers = running(ctx.sandbox)
    load_ca(ctx.sandbox.settings)
    info = {"ca_pem": ca_path(ctx.sandbox.settings).read_text(), "smtp": None, "imap": None,
            "adresse": _persona(ctx).mailbox}
    if servers is not None:
        info["smtp"] = {"host": servers.host, "port": servers.smtp_port}
        info["imap"] = {"host": servers.host, "port": servers.imap_port}
    return info


@router.get("/certificat", summary="Certificat client (TLS mutuel) de la persona, PEM",
            response_class=Response,
            responses={200: {"content": {"application/x-pem-file": {}},
                             "description": "Certificat puis clé privée (PEM)"}})
def certificate(ctx: Ctx) -> Response:
    """Certificate + key for `AUTH EXTERNAL` (swaks --tls-cert/--tls-key, Thunderbird…)."""
    who = _persona(ctx)
    pem = persona_certificate(ctx.sandbox.settings, ctx.tenant, ctx.actor.login, who.mailbox)
    ctx.record("mssante.certificate", target=f"persona/{ctx.actor.login}")
    return Response(pem, media_type="application/x-pem-file")


@router.get("/pieges/modeles", summary="Modèles de messages pièges (animateur)")
def trap_templates(ctx: Ctx) -> list[dict]:
    ctx.require("admin.inject_mail")
    return [{"modele": name, "de": t["from"], "objet": t["subject"]}
            for name, t in traps.templates().items()]


@router.post("/pieges", status_code=201, summary="Injecter un message piège (animateur)")
def inject_trap(body: TrapRequest, ctx: Ctx) -> list[dict]:
    ctx.require("admin.inject_mail", target=f"modele/{body.modele}")
    known = traps.templates()
    if body.modele not in known:
        raise ServiceError(404, f"Modèle de piège inconnu : « {body.modele} ». Modèles : "
                                f"{', '.join(sorted(known))}.")
    missing = [a for a in body.destinataires
               if not mailstore.mailbox_exists(ctx.session, ctx.tenant, a)]
    if missing:
        raise ServiceError(404, "Destinataire(s) absent(s) de l'Annuaire : "
                                + ", ".join(missing))
    return traps.inject(ctx.sandbox, ctx.tenant, body.modele, body.destinataires,
                        base_url=ctx.sandbox.settings.base_url, persona=ctx.actor.login,
                        role=ctx.actor.role)


# --- the landing page (no login: it is reached from a mail link) ---------------------------

def _page(token: str, trap) -> str:
    template = resources.files("sandbox.messaging").joinpath("templates/piege.html")
    clues = traps.templates().get(trap.template, {}).get("indices", [])
    items = "".join(f"<li>{html.escape(c)}</li>" for c in clues)
    page = string.Template(template.read_text("utf-8"))  # $-placeholders: CSS keeps its braces
    return page.substitute(token=html.escape(token), indices=items)


def _trap_or_404(request: Request, token: str):
    trap = traps.find(request.app.state.sandbox, token)
    if trap is None:
        raise ServiceError(404, "Lien inconnu ou expiré.")
    return trap


@landing.get("/{token}", response_class=HTMLResponse)
def trap_page(token: str, request: Request) -> HTMLResponse:
    trap = _trap_or_404(request, token)
    traps.record(request.app.state.sandbox, trap, traps.VISIT,
                 {"agent": request.headers.get("user-agent", "")[:200]})
    return HTMLResponse(_page(token, trap))


@landing.post("/{token}/clic")
def trap_click(token: str, request: Request) -> dict:
    trap = _trap_or_404(request, token)
    traps.record(request.app.state.sandbox, trap, traps.CLICK,
                 {"agent": request.headers.get("user-agent", "")[:200]})
    return {"exercice": True, "message": "C'était un exercice de sensibilisation."}
