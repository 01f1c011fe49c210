"""The SMTP adapter over real sessions: single-line French replies whatever a message holds,
one STARTTLS, non-UTF-8 addresses, no English left from aiosmtpd, and logins checked off the
event loop, throttled per account and per address, each failure audited."""

from __future__ import annotations

import io
import re
import smtplib
import threading
import zipfile
from email.message import EmailMessage
from email.policy import SMTP

import pytest
from fixtures.personas import PASSWORD
from mss_helpers import TENANT, message

from sandbox import events as stream
from sandbox import messaging
from sandbox.messaging import xdm
from sandbox.runtime import Sandbox

INJECTED = "\r\n250 2.0.0 Message mss-faux remis à 1 destinataire(s)"


def _text(reply: bytes) -> str:
    return reply.decode("utf-8")


def _xdm_mail(sender: str, to: str, package: bytes) -> bytes:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = sender, to, "Document"
    mail.set_content("Document joint.")
    mail.add_attachment(package, maintype="application", subtype="zip", filename="IHE_XDM.ZIP")
    return mail.as_bytes(policy=SMTP)


def _package(metadata_patient: str | None = None, member: str | None = None) -> bytes:
    archive = zipfile.ZipFile(io.BytesIO(xdm.build_xdm(
        b"<ClinicalDocument/>", ins="279035121518989", type_code="11488-4", class_code="10",
        title="CR")))
    entries = {n: archive.read(n) for n in archive.namelist()}
    if metadata_patient is not None:
        entries[xdm.METADATA] = entries[xdm.METADATA].replace(
            b"279035121518989^^^&amp;1.2.250.1.213.1.4.10&amp;ISO",
            metadata_patient.encode()).replace(
            b"279035121518989^^^&1.2.250.1.213.1.4.10&ISO", metadata_patient.encode())
    if member is not None:
        entries[member] = b"x"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for name, data in entries.items():
            out.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize("package", [
    pytest.param(_package(metadata_patient="X&#13;&#10;250 2.0.0 Message mss-faux remis"),
                 id="CR LF in METADATA.XML"),
    pytest.param(_package(member="IHE_XDM/SUBSET01/A" + INJECTED), id="CR LF in a member name"),
])
def test_no_line_break_from_a_message_reaches_a_reply(world, package):
    sender, to = world.address("medecin"), world.address("pharmacien")
    with world.smtp("medecin") as smtp:
        smtp.mail(sender)
        smtp.rcpt(to)
        code, reply = smtp.data(_xdm_mail(sender, to, package))
        assert code == 554 and "quarantaine" in _text(reply), reply
        assert "\n" not in _text(reply) and "\r" not in _text(reply)
        # the client and server are still in step: NOOP gets its own reply, not a leftover
        assert smtp.noop() == (250, b"2.0.0 OK")


def test_a_second_starttls_is_refused_in_french_and_the_session_goes_on(world):
    with world.smtp("medecin") as smtp:
        smtp.ehlo()
        code, reply = smtp.docmd("STARTTLS")
        assert code == 503 and "TLS est déjà actif" in _text(reply)
        assert smtp.noop()[0] == 250
        assert smtp.mail(world.address("medecin"))[0] == 250


@pytest.mark.parametrize("command", [b"MAIL FROM:<m\xe9decin\xff@medecin.mssante.fr>",
                                     b"RCPT TO:<\xff\xfe@medecin.mssante.fr>"])
def test_a_non_utf8_address_gets_a_french_553_and_no_python_error(world, command):
    with world.smtp("medecin") as smtp:
        if command.startswith(b"RCPT"):
            assert smtp.mail(world.address("medecin"))[0] == 250
        smtp.send(command + b"\r\n")
        code, reply = smtp.getreply()
        assert code == 553, reply
        assert _text(reply).startswith("5.1.3 Adresse illisible : elle n'est pas en UTF-8")
        assert smtp.noop()[0] == 250


ENGLISH = re.compile(r"\b(Error|Syntax|error|not recognized|Bye|Ready|Supported|Cannot|"
                     r"Unrecognized|Authentication|required|Must|malformed|nested|need|"
                     r"implemented|Too many|End data|Can't|value)\b")


def test_no_english_reply_from_aiosmtpd_is_left(world):
    sent: list[tuple[str, int, str]] = []
    with world.smtp("medecin") as smtp:
        for command, args in [("HELP", ""), ("HELP", "MAIL"), ("VRFY", "x@y.fr"), ("VRFY", ""),
                              ("EXPN", "liste"), ("BONJOUR", ""), ("RCPT", "TO:<a@b.fr>"),
                              ("DATA", ""), ("MAIL", "FROM:<a@b"), ("MAIL", "nimporte"),
                              ("AUTH", "PLAIN"), ("MAIL", f"FROM:<{world.address('medecin')}>"
                                                          " BODY=9BIT"),
                              ("MAIL", f"FROM:<{world.address('medecin')}> XYZ=1"),
                              ("MAIL", f"FROM:<{world.address('medecin')}>"),
                              ("MAIL", f"FROM:<{world.address('medecin')}>"),
                              ("RCPT", f"TO:<{world.address('kine')}> XYZ=1"), ("RSET", "x"),
                              ("RSET", ""), ("NOOP", "")]:
            code, reply = smtp.docmd(command, args)
            sent.append((f"{command} {args}", code, _text(reply)))
        code, reply = smtp.docmd("DATA")  # without recipients
        sent.append(("DATA", code, _text(reply)))
    english = [s for s in sent if ENGLISH.search(s[2])]
    assert not english, english
    assert all(re.match(r"\d\.\d\.\d+ ", text) or code == 354 for _c, code, text in sent
               if code >= 400), sent


def test_auth_replies_are_french(world):
    with world.smtp() as smtp:
        smtp.ehlo()
        replies = [smtp.docmd("AUTH", "PLAIN !!!"), smtp.docmd("AUTH", "PLAIN YWJj"),
                   smtp.docmd("AUTH", "LOGIN !!!"), smtp.docmd("AUTH", "CRAM-MD5")]
        smtp.send(b"AUTH LOGIN\r\n")
        challenge = smtp.getreply()
        smtp.send(b"*\r\n")
        aborted = smtp.getreply()
    texts = [_text(r) for _c, r in replies] + [_text(aborted[1])]
    assert [c for c, _ in replies] == [501, 501, 501, 504] and aborted[0] == 501
    assert not [t for t in texts if ENGLISH.search(t)], texts
    assert challenge[0] == 334


# --- logins -------------------------------------------------------------------------------------

@pytest.fixture
def strict(world):
    """Mail servers over the world's store whose login throttle lets two failures per account
    and four per address go free (their own throttle: the world's is left alone)."""
    settings = world.sandbox.settings.model_copy(update={
        "login_free_failures": 2, "login_free_failures_per_address": 4,
        "login_max_delay_seconds": 600})
    sandbox = Sandbox(settings, world.sandbox.store, world.sandbox.clock)
    servers = messaging.serve(sandbox, "127.0.0.1", 0, 0)
    yield servers
    servers.stop()


def _login(world, servers, login: str, password: str) -> tuple[int, str]:
    client = smtplib.SMTP("127.0.0.1", servers.smtp_port, timeout=30)
    try:
        client.starttls(context=world.context())
        client.ehlo()
        client.user, client.password = login, password  # one AUTH PLAIN (login() tries several)
        return client.auth("PLAIN", client.auth_plain)[0], ""
    except smtplib.SMTPAuthenticationError as exc:
        return exc.smtp_code, _text(exc.smtp_error)
    finally:
        client.close()


def _login_events(world, login: str) -> list:
    with world.sandbox.store.session() as session:
        return [e for e in stream.stream(session, TENANT, service="auth", limit=1_000_000)
                if e.action == "auth.login" and e.persona == login]


def test_failed_logins_are_throttled_per_account_and_audited(world, strict):
    before = len(_login_events(world, "kine"))
    first = [_login(world, strict, "kine", "mauvais") for _ in range(2)]
    assert [c for c, _ in first] == [535, 535]
    assert "mot de passe incorrect" in first[0][1]
    code, text = _login(world, strict, "kine", PASSWORD)  # right, but too early: no check
    assert code == 454 and text.startswith("4.7.0 Trop de tentatives")
    assert _login(world, strict, "infirmier", PASSWORD)[0] == 235  # another account: fine
    traced = _login_events(world, "kine")[before:]
    assert len(traced) == 3 and {e.outcome for e in traced} == {"refused"}
    assert {e.detail["protocole"] for e in traced} == {"smtp"}
    assert {e.detail["adresse"] for e in traced} == {"127.0.0.1"}


def test_failed_logins_are_throttled_per_address(world, strict):
    codes = [_login(world, strict, login, "mauvais")[0]
             for login in ("medecin2", "urgentiste", "secretaire", "sage-femme")]
    assert codes == [535] * 4
    code, text = _login(world, strict, "medecin", PASSWORD)  # any account, from this address
    assert code == 454 and "réessayez dans" in text


def test_imap_logins_share_the_throttle_and_the_trace(world):
    import imaplib

    before = len(_login_events(world, "secretaire"))
    client = imaplib.IMAP4("127.0.0.1", world.servers.imap_port, timeout=30)
    try:
        client.starttls(ssl_context=world.context())
        with pytest.raises(imaplib.IMAP4.error):
            client.login("secretaire", "mauvais")
    finally:
        client.shutdown()
    traced = _login_events(world, "secretaire")[before:]
    assert [e.detail["protocole"] for e in traced] == ["imap"]


def test_a_password_check_never_blocks_other_clients(world, monkeypatch):
    """While a password check is stuck, an authenticated session still sends: the check runs
    on the login pool, not on the event loop."""
    import sandbox.auth

    release, entered = threading.Event(), threading.Event()
    real = sandbox.auth.check_password

    def stuck(password: str, stored: str) -> bool:
        entered.set()
        release.wait(30)
        return real(password, stored)

    me, to = world.address("medecin"), world.address("kine")
    result: list = []
    with world.smtp("medecin") as smtp:  # logged in before the check gets stuck
        monkeypatch.setattr(sandbox.auth, "check_password", stuck)
        guesser = threading.Thread(target=lambda: result.append(
            _login(world, world.servers, "urgentiste", "devine")))
        guesser.start()
        try:
            assert entered.wait(30)
            smtp.mail(me)
            smtp.rcpt(to)
            code, reply = smtp.data(message(me, to, "Pendant la devinette"))
            assert code == 250, reply
            assert not result  # the guess is still being checked
        finally:
            release.set()
            guesser.join(30)
    assert result and result[0][0] == 535
