"""`santelab sandbox up` runs SMTP and IMAP; a SIGKILL loses no acknowledged message."""

from __future__ import annotations

import imaplib
import smtplib
import ssl
import threading
import time
from pathlib import Path

import pytest
from fixtures.servers import SandboxUp
from mss_helpers import message
from sqlalchemy import select

from sandbox.auth_models import PersonaRow
from sandbox.messaging.models import MessageRow
from sandbox.runtime import Sandbox
from sandbox.settings import Settings

TENANT = "crash"


def sandbox_up(folder: Path) -> SandboxUp:
    """`santelab sandbox up` as a child process on free ports, once SMTP and IMAP listen."""
    return SandboxUp("--data-dir", str(folder), "--tenant", TENANT, "--patients", "30",
                     "--seed", "5").start()


@pytest.mark.slow
def test_no_acknowledged_message_is_lost_after_sigkill(tmp_path):
    server = sandbox_up(tmp_path)
    settings = Settings(data_dir=tmp_path, tenant=TENANT)
    sandbox = Sandbox.open(settings)
    with sandbox.store.session() as session:
        rows = dict(session.execute(select(PersonaRow.login, PersonaRow.mailbox).where(
            PersonaRow.tenant == TENANT, PersonaRow.login.in_(
                ["medecin", "medecin2", "urgentiste", "infirmier", "pharmacien"]))).all())
    context = ssl.create_default_context(cafile=str(tmp_path / "mssante" / "ca.pem"))
    acknowledged: dict[str, str] = {}
    lock = threading.Lock()
    killed = threading.Event()

    def sender(login: str, to: str) -> None:
        n = 0
        try:
            with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=30) as smtp:
                smtp.starttls(context=context)
                smtp.login(login, "bac-a-sable")
                while not killed.is_set():
                    key = f"crash-{login}-{n}"
                    n += 1
                    smtp.mail(rows[login])
                    smtp.rcpt(to)
                    code, _reply = smtp.data(message(rows[login], to, key))
                    if code == 250:
                        with lock:
                            acknowledged[key] = to
        except (smtplib.SMTPException, OSError):
            pass  # the server was killed under us: unacknowledged messages may be lost

    senders = ["medecin", "medecin2", "urgentiste", "infirmier"]
    threads = [threading.Thread(target=sender, args=(login, rows["pharmacien"]))
               for login in senders]
    try:
        for thread in threads:
            thread.start()
        while len(acknowledged) < 80:
            assert any(t.is_alive() for t in threads), "senders stopped before the kill"
            time.sleep(0.01)
        server.kill()  # SIGKILL while the senders are mid-transaction
        killed.set()
        for thread in threads:
            thread.join(30)
        with lock:
            acked = dict(acknowledged)
        server = sandbox_up(tmp_path)
        with sandbox.store.session() as session:
            stored = session.execute(select(MessageRow.subject).where(
                MessageRow.tenant == TENANT, MessageRow.subject.like("crash-%"))).scalars().all()
        assert len(stored) == len(set(stored)), "a message stored twice"
        missing = set(acked) - set(stored)
        assert not missing, f"{len(missing)} acknowledged messages lost: {sorted(missing)[:5]}"
        # And the restarted IMAP server serves them.
        imap = imaplib.IMAP4("127.0.0.1", server.imap_port, timeout=30)
        imap.starttls(ssl_context=context)
        imap.login("pharmacien", "bac-a-sable")
        imap.select("INBOX")
        _typ, data = imap.search(None, "ALL")
        assert len(data[0].split()) >= len(acked)
        imap.logout()
    finally:
        killed.set()
        server.stop()
        sandbox.store.dispose()
