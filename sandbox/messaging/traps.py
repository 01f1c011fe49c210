"""Trap mails for training and drills: templates as data (`traps.yaml`), one link per recipient.

`inject(...)` writes the crafted message straight into the recipients' mailboxes (a spoofed
sender could never pass the SMTP policy, which is the point of the lesson) and keeps a token
per recipient: the landing page `/piege/{token}` records a visit on GET and a click only on a
real interaction (the button's POST), so a mail scanner's GET is not counted as a click.
"""

from __future__ import annotations

import secrets
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from functools import cache
from importlib import resources

import yaml
from sqlalchemy import select

from sandbox import events, personas
from sandbox.messaging import mailstore
from sandbox.messaging.models import MessageRow, TrapRow
from sandbox.runtime import Sandbox
from sandbox.vocabulary import SUCCESS

CLICK = "mssante.piege.clic"
VISIT = "mssante.piege.visite"


@cache
def templates() -> dict[str, dict]:
    text = resources.files("sandbox.messaging").joinpath("traps.yaml").read_text("utf-8")
    return yaml.safe_load(text)


class UnknownTemplate(KeyError):
    pass


def build(template: dict, *, recipient: str, link: str, when) -> EmailMessage:
    message = EmailMessage()
    message["From"] = template["from"]
    message["To"] = recipient
    message["Subject"] = template["subject"]
    message["Date"] = format_datetime(when)
    message["Message-ID"] = make_msgid(domain=parseaddr(template["from"])[1].partition("@")[2])
    message.set_content(template["body"].format(lien=link, destinataire=recipient,
                                                date=f"{when:%d/%m/%Y}"))
    attachment = template.get("attachment")
    if attachment:
        maintype, _, subtype = attachment["content_type"].partition("/")
        message.add_attachment(attachment["content"].encode(), maintype=maintype,
                               subtype=subtype, filename=attachment["filename"])
    return message


def inject(sandbox: Sandbox, tenant: str, template_name: str, recipients: list[str], *,
           base_url: str, persona: str | None = None, role: str | None = None,
           key: str | None = None) -> list[dict]:
    """Deliver the trap `template_name` to each recipient; one token (link) per recipient.

    `key` (a drill inject's) derives the message ids from it and skips a recipient who already
    holds that message: replayed after a crash, the inject delivers nothing twice.
    """
    template = templates().get(template_name)
    if template is None:
        raise UnknownTemplate(template_name)
    sent = []
    for number, recipient in enumerate(recipients):
        message_id = f"<{key}.{number}@exercice.santelab>" if key else None
        if message_id and _delivered(sandbox, tenant, message_id):
            continue
        token = secrets.token_urlsafe(16)
        now = sandbox.clock.now()
        message = build(template, recipient=recipient,
                        link=f"{base_url.rstrip('/')}/piege/{token}", when=now)
        message_id = mailstore.deliver(
            sandbox, tenant, mailstore.Sender(persona, role, None),
            parseaddr(template["from"])[1], [recipient], message.as_bytes(),
            subject=template["subject"], kind="piege",
            detail={"modele": template_name, "jeton": token}, message_id=message_id)
        with sandbox.store.session() as session:
            session.add(TrapRow(tenant=tenant, token=token, template=template_name,
                                mailbox=mailstore.normalise(recipient), message_id=message_id,
                                at=now))
        sent.append({"boite": mailstore.normalise(recipient), "jeton": token,
                     "message": message_id, "modele": template_name})
    return sent


def _delivered(sandbox: Sandbox, tenant: str, message_id: str) -> bool:
    with sandbox.store.session() as session:
        return session.scalar(select(MessageRow.uid).where(
            MessageRow.tenant == tenant, MessageRow.message_id == message_id).limit(1)) is not None


def find(sandbox: Sandbox, token: str) -> TrapRow | None:
    with sandbox.store.session() as session:
        return session.scalar(select(TrapRow).where(TrapRow.token == token).limit(1))


def record(sandbox: Sandbox, trap: TrapRow, action: str, detail: dict) -> None:
    """A visit or a click on a trap link, as a raw event of the trap's tenant."""
    with sandbox.store.session() as session:
        owner = personas.mailbox_owner(session, trap.tenant, trap.mailbox)
        events.record(session, events.Event(
            tenant=trap.tenant, at=sandbox.clock.now(), service=mailstore.SERVICE,
            action=action, persona=owner[0] if owner else None,
            role=owner[1] if owner else None, target=f"message/{trap.message_id}",
            patient=None, outcome=SUCCESS,
            detail={"boite": trap.mailbox, "modele": trap.template, "jeton": trap.token,
                    **detail}))
