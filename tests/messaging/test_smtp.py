"""SMTP submission: every refusal over a real session (smtplib, and swaks), codes and French."""

from __future__ import annotations

import shutil
import smtplib
import subprocess

import pytest
from mss_helpers import OTHER_TENANT, TENANT, message
from sqlalchemy import select

from sandbox import events as stream
from sandbox.faults_models import FaultRow
from sandbox.messaging.models import MessageRow, QuarantineRow


def _text(reply: bytes) -> str:
    return reply.decode("utf-8")


def _messages(world, mailbox: str, tenant: str = TENANT) -> list[MessageRow]:
    with world.sandbox.store.session() as session:
        return list(session.scalars(select(MessageRow).where(
            MessageRow.tenant == tenant, MessageRow.mailbox == mailbox)))


def test_accepted_message_is_delivered_after_commit(world):
    sender, to = world.address("medecin"), world.address("pharmacien")
    before = len(_messages(world, to))
    with world.smtp("medecin") as smtp:
        assert smtp.mail(sender)[0] == 250
        assert smtp.rcpt(to)[0] == 250
        code, reply = smtp.data(message(sender, to, "Livraison"))
    assert code == 250, reply
    assert "remis à 1 destinataire" in _text(reply)
    rows = _messages(world, to)
    assert len(rows) == before + 1
    assert rows[-1].subject == "Livraison" and rows[-1].sender == sender


def test_commands_before_starttls_are_refused_and_auth_not_offered(world):
    client = smtplib.SMTP("127.0.0.1", world.servers.smtp_port, timeout=30)
    try:
        client.ehlo()
        assert client.has_extn("starttls")
        assert not client.has_extn("auth")
        code, reply = client.mail(world.address("medecin"))
        assert code == 530
        assert "STARTTLS" in _text(reply) and "chiffrée" in _text(reply)
    finally:
        client.close()


def test_unauthenticated_submission_is_refused(world):
    with world.smtp() as smtp:
        smtp.ehlo()
        assert smtp.has_extn("auth") and "PLAIN" in smtp.esmtp_features["auth"]
        code, reply = smtp.mail(world.address("medecin"))
    assert code == 530
    assert _text(reply).startswith("5.7.0 Authentification requise")


def test_wrong_password_is_refused(world):
    with world.smtp() as smtp, pytest.raises(smtplib.SMTPAuthenticationError) as caught:
        smtp.login("medecin", "mauvais")
    assert caught.value.smtp_code == 535
    assert "mot de passe incorrect" in _text(caught.value.smtp_error)


def test_sender_spoofing_is_refused(world):
    with world.smtp("medecin") as smtp:
        code, reply = smtp.mail(world.address("pharmacien"))
    assert code == 553
    assert _text(reply).startswith("5.7.1 Usurpation refusée")
    assert world.address("medecin") in _text(reply)


def test_unknown_recipient_is_refused(world):
    with world.smtp("medecin") as smtp:
        smtp.mail(world.address("medecin"))
        code, reply = smtp.rcpt("personne.inconnue@medecin.bac-a-sable.mssante.fr")
    assert code == 550
    assert _text(reply).startswith("5.1.1 Destinataire inconnu")


@pytest.mark.parametrize("address", ["quelquun@gmail.com", "support@mssante-fr.com",
                                     "accueil@hopital-inexistant.mssante.fr"])
def test_no_open_relay_outside_the_trust_space(world, address):
    with world.smtp("medecin") as smtp:
        smtp.mail(world.address("medecin"))
        code, reply = smtp.rcpt(address)
    assert code == 550
    assert _text(reply).startswith("5.7.1 Relais refusé")


def test_size_is_advertised_and_oversize_refused(world):
    sender, to = world.address("medecin"), world.address("pharmacien")
    limit = world.sandbox.settings.mail_max_bytes
    with world.smtp("medecin") as smtp:
        smtp.ehlo()
        assert int(smtp.esmtp_features["size"]) == limit
        code, reply = smtp.mail(sender, [f"SIZE={limit + 1}"])
        assert code == 552 and "trop volumineux" in _text(reply)
        smtp.rset()
        assert smtp.mail(sender)[0] == 250
        assert smtp.rcpt(to)[0] == 250
        big = message(sender, to, "Gros", "x" * 998 + "\r\n") * (limit // 1000 + 10)
        code, reply = smtp.data(big)
    assert code == 552
    assert "5.3.4" in _text(reply) and "trop volumineux" in _text(reply)


MALFORMED = {
    "sans boundary": b"Content-Type: multipart/mixed\r\n\r\nrien\r\n",
    "boundary absente": (b"Content-Type: multipart/mixed; boundary=\"XYZ\"\r\n\r\n"
                         b"pas de partie ici\r\n"),
    "en-tete casse": b"Subject: a\r\nceci n'est pas un en-tete\r\n\r\ncorps\r\n",
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_mime_is_quarantined_and_the_service_keeps_running(world, case):
    sender, to = world.address("medecin"), world.address("infirmier")
    raw = f"From: {sender}\r\nTo: {to}\r\n".encode() + MALFORMED[case]
    with world.smtp("medecin") as smtp:
        smtp.mail(sender)
        smtp.rcpt(to)
        code, reply = smtp.data(raw)
        assert code == 554, reply
        assert "quarantaine" in _text(reply) and "MIME mal formé" in _text(reply)
        qid = _text(reply).split("(")[1].split(")")[0]
        # The same connection still works afterwards.
        smtp.rset()
        smtp.mail(sender)
        smtp.rcpt(to)
        assert smtp.data(message(sender, to, "Après"))[0] == 250
    with world.sandbox.store.session() as session:
        row = session.get(QuarantineRow, (TENANT, qid))
        assert row is not None and row.raw == raw and "MIME" in row.reason


def test_missing_from_header_is_quarantined(world):
    sender, to = world.address("medecin"), world.address("infirmier")
    with world.smtp("medecin") as smtp:
        smtp.mail(sender)
        smtp.rcpt(to)
        code, reply = smtp.data(b"Subject: sans expediteur\r\n\r\ncorps\r\n")
    assert code == 554 and "From" in _text(reply)


@pytest.mark.parametrize("login", ["etudiant", "patient"])
def test_roles_without_mssante_send_are_refused_by_the_matrix(world, login):
    with world.smtp(login) as smtp:
        code, reply = smtp.mail("x@medecin.mssante.fr")
    assert code == 550
    assert "Annuaire Santé" in _text(reply)  # the access matrix's refusal


def test_unavailable_fault_gives_a_temporary_refusal(world):
    book = world.servers.faults
    book.set(OTHER_TENANT, FaultRow(tenant=OTHER_TENANT, service="mssante", mode="indisponible",
                                    message="MSSanté en panne (exercice)"))
    try:
        with world.smtp(f"medecin@{OTHER_TENANT}") as smtp:
            code, reply = smtp.mail(world.address("medecin"))
        assert code == 451 and "panne (exercice)" in _text(reply)
        with world.smtp("medecin") as smtp:  # the other tenant is unaffected
            assert smtp.mail(world.address("medecin"))[0] == 250
    finally:
        book.clear(OTHER_TENANT, "mssante")


def test_tenant_in_login_and_token_as_password(world):
    sender, to = world.address("medecin"), world.address("kine")
    token = world.web.token("medecin", OTHER_TENANT)
    with world.smtp(f"medecin@{OTHER_TENANT}", token) as smtp:
        smtp.sendmail(sender, [to], message(sender, to, "Autre classe"))
    assert [m.subject for m in _messages(world, to, OTHER_TENANT)] == ["Autre classe"]
    assert "Autre classe" not in [m.subject for m in _messages(world, to)]


def test_mail_reaches_a_tenant_reset_while_the_servers_run(world):
    """Seeding is the one way mailboxes are made: a tenant reset under the running servers has
    them back with the rest of its data, and the next message is accepted at once."""
    import synthetic_data
    from sandbox.seeding import SeedPopulation, reset_tenant, seed_tenant

    tenant = "classe-mss-reinit"
    population = SeedPopulation(synthetic_data.generate(n=40, seed=7, years=1))
    seed_tenant(world.sandbox, tenant, population)
    sender, to = world.address("medecin"), world.address("kine")
    with world.smtp(f"medecin@{tenant}") as smtp:
        smtp.sendmail(sender, [to], message(sender, to, "Avant"))
    reset_tenant(world.sandbox, tenant, population)
    assert _messages(world, to, tenant) == []
    with world.smtp(f"medecin@{tenant}") as smtp:
        smtp.sendmail(sender, [to], message(sender, to, "Après"))
    assert [m.subject for m in _messages(world, to, tenant)] == ["Après"]


def test_refusals_are_traced_in_the_event_stream(world):
    with world.smtp("medecin") as smtp:
        smtp.mail(world.address("sage-femme"))
    with world.sandbox.store.session() as session:
        rows = stream.stream(session, TENANT, service="mssante", limit=100_000)
    spoof = [e for e in rows if e.action == "mssante.spoofing"]
    assert spoof and spoof[-1].outcome == "refused" and spoof[-1].persona == "medecin"


SWAKS = shutil.which("swaks")


def _swaks(world, *args: str) -> subprocess.CompletedProcess:
    assert SWAKS, "swaks is a test dependency (.ci/system-deps)"
    command = [SWAKS, "--server", "127.0.0.1", "--port", str(world.servers.smtp_port),
               "--tls", "--tls-verify", "--tls-ca-path", world.ca_file, "--tls-sni",
               "localhost", "--auth", "PLAIN", "--auth-user", "medecin",
               "--auth-password", "bac-a-sable", "--from", world.address("medecin"), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def test_swaks_delivers_with_verified_tls(world):
    to = world.address("sage-femme")
    done = _swaks(world, "--to", to, "--header", "Subject: par swaks")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "235 " in done.stdout and "250 2.0.0 Message" in done.stdout
    assert "par swaks" in [m.subject for m in _messages(world, to)]


def test_swaks_unknown_recipient(world):
    done = _swaks(world, "--to", "nobody@medecin.bac-a-sable.mssante.fr")
    assert done.returncode != 0
    assert "550 5.1.1 Destinataire inconnu" in done.stdout


def test_mutual_tls_auth_external_with_the_persona_certificate(world, tmp_path):
    from sandbox.client import connect

    pharmacist = connect("pharmacien", url=world.url, tenant=TENANT)
    pem = pharmacist.mssante.certificate(tmp_path / "pharmacien.pem")
    context = world.context()
    context.load_cert_chain(str(pem))
    sender, to = world.address("pharmacien"), world.address("medecin")
    client = smtplib.SMTP("127.0.0.1", world.servers.smtp_port, timeout=30)
    try:
        client.starttls(context=context)
        client.ehlo()
        assert "EXTERNAL" in client.esmtp_features["auth"]
        code, reply = client.docmd("AUTH", "EXTERNAL =")
        assert code == 235, reply
        assert client.mail(sender)[0] == 250  # the certificate's persona, not another
        assert client.rcpt(to)[0] == 250
        assert client.data(message(sender, to, "Par certificat"))[0] == 250
        client.rset()
        assert client.mail(world.address("medecin"))[0] == 553
    finally:
        client.quit()


def test_auth_external_without_a_certificate_is_refused(world):
    with world.smtp() as smtp:
        smtp.ehlo()
        code, reply = smtp.docmd("AUTH", "EXTERNAL =")
    assert code == 535
    assert "certificat" in _text(reply)
