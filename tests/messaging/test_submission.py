"""The mail domain core's rules, through its adapters (a real SMTP session, the HTTP route):
header From bound to the sender, the facilitator's exception from the access matrix,
recipients bounded and announced once, trace headers added on submission, the size limit on
every route, and one fault decision for every protocol."""

from __future__ import annotations

import base64
import time
from email import message_from_bytes, policy

from fixtures.personas import FACILITATOR_PASSWORD
from mss_helpers import OTHER_TENANT, TENANT, message
from sqlalchemy import select

from sandbox import events as stream
from sandbox.faults_models import FaultRow
from sandbox.messaging.models import MessageRow


def _text(reply: bytes) -> str:
    return reply.decode("utf-8")


def _rows(world, mailbox: str, tenant: str = TENANT) -> list[MessageRow]:
    with world.sandbox.store.session() as session:
        return list(session.scalars(select(MessageRow).where(
            MessageRow.tenant == tenant, MessageRow.mailbox == mailbox)
            .order_by(MessageRow.uid)))


def _events(world, action: str, tenant: str = TENANT, service: str = "mssante") -> list:
    with world.sandbox.store.session() as session:
        return [e for e in stream.stream(session, tenant, service=service, limit=1_000_000)
                if e.action == action]


def _send(smtp, sender: str, recipients: list[str], raw: bytes) -> tuple[int, str]:
    assert smtp.mail(sender)[0] == 250
    for rcpt in recipients:
        assert smtp.rcpt(rcpt)[0] == 250
    code, reply = smtp.data(raw)
    return code, _text(reply)


# --- From: bound to the authenticated sender -------------------------------------------------

def test_header_from_naming_another_address_is_refused_in_french(world):
    me, other, to = world.address("medecin"), world.address("pharmacien"), world.address("kine")
    before = len(_rows(world, to))
    spoofs = len(_events(world, "mssante.spoofing"))
    with world.smtp("medecin") as smtp:
        code, reply = _send(smtp, me, [to], message(other, to, "Au nom du pharmacien"))
    assert code == 550, reply
    assert reply.startswith("5.7.1 Usurpation refusée") and other in reply and me in reply
    assert len(_rows(world, to)) == before
    assert len(_events(world, "mssante.spoofing")) == spoofs + 1


def test_sender_header_and_several_from_headers_are_refused_too(world):
    me, other, to = world.address("medecin"), world.address("pharmacien"), world.address("kine")
    with_sender = (f"From: {me}\r\nSender: {other}\r\nTo: {to}\r\nSubject: s\r\n\r\nx\r\n")
    two_froms = (f"From: {me}\r\nFrom: {me}\r\nTo: {to}\r\nSubject: s\r\n\r\nx\r\n")
    with world.smtp("medecin") as smtp:
        code, reply = _send(smtp, me, [to], with_sender.encode())
        assert code == 550 and f"Sender: <{other}>" in reply
        code, reply = _send(smtp, me, [to], two_froms.encode())
        assert code == 550 and "exactement un" in reply
        code, reply = _send(smtp, me, [to], message(f"Dr Médecin <{me.upper()}>", to, "OK"))
        assert code == 250, reply


def test_the_facilitator_sends_as_anyone_because_the_matrix_says_so(world):
    doctor, to = world.address("medecin"), world.address("sage-femme")
    with world.smtp("facilitateur", FACILITATOR_PASSWORD) as smtp:
        code, reply = _send(smtp, doctor, [to], message(doctor, to, "Exercice de crise"))
    assert code == 250, reply
    assert _rows(world, to)[-1].subject == "Exercice de crise"


# --- recipients -------------------------------------------------------------------------------

def test_a_repeated_recipient_is_announced_once_and_gets_one_copy(world):
    me, to = world.address("medecin"), world.address("infirmier")
    before = len(_rows(world, to))
    with world.smtp("medecin") as smtp:
        assert smtp.mail(me)[0] == 250
        replies = [smtp.rcpt(to.upper() if n % 2 else to) for n in range(5)]
        code, reply = smtp.data(message(me, to, "Une seule copie"))
    assert [c for c, _ in replies] == [250] * 5
    assert "déjà indiqué" in _text(replies[1][1]) and "déjà" not in _text(replies[0][1])
    assert code == 250 and "remis à 1 destinataire" in _text(reply)
    assert len(_rows(world, to)) == before + 1


def test_recipients_per_transaction_are_bounded_failed_ones_included(world):
    limit = world.sandbox.settings.mail_max_recipients
    me, to = world.address("medecin"), world.address("infirmier")
    traced = len(_events(world, "mssante.recipient"))
    with world.smtp("medecin") as smtp:
        assert smtp.mail(me)[0] == 250
        codes = [smtp.rcpt(f"inconnu{n}@medecin.bac-a-sable.mssante.fr")[0] for n in range(limit)]
        extra = [smtp.rcpt(f"inconnu-bis{n}@medecin.bac-a-sable.mssante.fr") for n in range(limit)]
        late = smtp.rcpt(to)  # even a valid one, once the bound is reached
    assert codes == [550] * limit
    assert {c for c, _ in extra} == {452} and late[0] == 452
    assert _text(late[1]).startswith("4.5.3 Trop de destinataires")
    # each refused recipient up to the bound is traced, then the bound once: not 2 × limit
    assert len(_events(world, "mssante.recipient")) - traced == limit + 1


# --- trace headers (RFC 6409 §8, RFC 5321 §4.4) -------------------------------------------------

def test_submission_adds_received_return_path_date_and_message_id(world):
    me, to = world.address("medecin"), world.address("kine")
    bare = f"From: {me}\r\nTo: {to}\r\nSubject: Sans date\r\n\r\nCorps.\r\n".encode()
    with world.smtp("medecin") as smtp:
        smtp.ehlo("poste-du-cabinet")
        code, reply = _send(smtp, me, [to], bare)
    assert code == 250, reply
    message_id = reply.split()[2]
    stored = message_from_bytes(_rows(world, to)[-1].raw, policy=policy.default)
    assert stored["Return-Path"] == f"<{me}>"
    received = " ".join(str(stored["Received"]).split())
    assert received.startswith("from poste-du-cabinet (127.0.0.1) by localhost")
    assert f"with ESMTPSA id {message_id}" in received and f"for <{to}>" in received
    assert stored["Message-ID"] == f"<{message_id}@{me.partition('@')[2]}>"
    assert stored["Date"].datetime is not None
    assert stored["Subject"] == "Sans date" and stored.get_content().strip() == "Corps."


def test_submission_keeps_the_clients_own_date_and_message_id(world):
    me, to = world.address("medecin"), world.address("kine")
    raw = (f"From: {me}\r\nTo: {to}\r\nSubject: Avec date\r\nMessage-ID: <abc@cabinet.fr>\r\n"
           "Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\nCorps.\r\n").encode()
    with world.smtp("medecin") as smtp:
        assert _send(smtp, me, [to], raw)[0] == 250
    stored = message_from_bytes(_rows(world, to)[-1].raw, policy=policy.default)
    assert stored.get_all("Message-ID") == ["<abc@cabinet.fr>"]
    assert stored.get_all("Date") == ["Mon, 23 Nov 2026 10:00:00 +0000"]
    assert len(stored.get_all("Received")) == 1


def test_http_route_adds_the_same_trace_headers(world):
    to = world.address("kine")
    with world.web.http("medecin") as http:
        response = http.post("/mssante/messages", json={"to": [to], "subject": "Par HTTP",
                                                        "body": "Corps."})
    assert response.status_code == 201, response.text
    stored = message_from_bytes(_rows(world, to)[-1].raw, policy=policy.default)
    assert f"with HTTP id {response.json()['message_id']}" in " ".join(
        str(stored["Received"]).split())
    assert stored["Return-Path"] == f"<{world.address('medecin')}>" and stored["Message-ID"]


# --- size on every route ------------------------------------------------------------------------

def test_size_limit_is_the_setting_over_smtp(world):
    with world.smtp("medecin") as smtp:
        smtp.ehlo()
        assert int(smtp.esmtp_features["size"]) == world.sandbox.settings.mail_max_bytes


def test_http_route_refuses_a_message_over_the_limit_with_413(world):
    to = world.address("kine")
    before = len(_rows(world, to))
    big = base64.b64encode(b"\0" * (world.sandbox.settings.mail_max_bytes + 1024)).decode()
    with world.web.http("medecin") as http:
        response = http.post("/mssante/messages", json={
            "to": [to], "subject": "Trop gros",
            "attachments": [{"filename": "scanner.bin", "data": big}]}, timeout=60)
    assert response.status_code == 413, response.text
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert "trop volumineux" in outcome["issue"][0]["diagnostics"]
    assert len(_rows(world, to)) == before


# --- one fault decision -------------------------------------------------------------------------

def test_a_fault_reads_the_same_over_smtp_and_http(world):
    book = world.servers.faults
    book.set(OTHER_TENANT, FaultRow(tenant=OTHER_TENANT, service="mssante", mode="indisponible"))
    try:
        with world.smtp(f"medecin@{OTHER_TENANT}", world.web.token("medecin", OTHER_TENANT)) as smtp:
            code, reply = smtp.mail(world.address("medecin"))
        assert code == 451
        smtp_text = _text(reply)[len("4.3.2 "):]
        with world.web.http("medecin", OTHER_TENANT) as http:
            deadline = time.monotonic() + 5  # the HTTP app's own fault cache lives 1 s
            while True:
                response = http.post("/mssante/messages", json={
                    "to": [world.address("kine")], "subject": "pendant la panne"})
                if response.status_code != 201 or time.monotonic() > deadline:
                    break
        assert response.status_code == 503
        assert response.json()["issue"][0]["diagnostics"] == smtp_text
        assert "indisponible (panne simulée)" in smtp_text
    finally:
        book.clear(OTHER_TENANT, "mssante")


def test_http_send_by_a_role_without_mssante_send_is_refused_by_the_matrix(world):
    with world.web.http("etudiant") as http:
        response = http.post("/mssante/messages", json={"to": [world.address("kine")],
                                                        "subject": "x"})
    assert response.status_code == 403
    assert "Annuaire Santé" in response.json()["issue"][0]["diagnostics"]


def test_http_send_refusals_keep_their_status(world):
    with world.web.http("medecin") as http:
        unknown = http.post("/mssante/messages", json={"to": ["personne@medecin.bac-a-sable.mssante.fr"]})
        relay = http.post("/mssante/messages", json={"to": ["ami@gmail.com"]})
        garbage = http.post("/mssante/messages", json={"to": ["pas une adresse"]})
    assert unknown.status_code == 404 and relay.status_code == 403
    assert garbage.status_code == 400
    assert "mal formée" in garbage.json()["issue"][0]["diagnostics"]
