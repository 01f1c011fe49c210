"""`santelab sandbox up` runs SMTP and IMAP; a SIGKILL loses no acknowledged message."""

from __future__ import annotations

import imaplib
import os
import signal
import smtplib
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from mss_helpers import message
from sqlalchemy import select

from sandbox.auth_models import PersonaRow
from sandbox.messaging.models import MessageRow
from sandbox.ports import free_port
from sandbox.runtime import Sandbox
from sandbox.settings import Settings

TENANT = "crash"


class Server:
    """`santelab sandbox up` as a child process, on free ports."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.ports = {"--port": free_port(), "--smtp-port": free_port(),
                      "--imap-port": free_port()}
        self.process: subprocess.Popen | None = None

    def start(self) -> Server:
        command = [sys.executable, "-m", "santelab", "sandbox", "up", "--data-dir",
                   str(self.folder), "--tenant", TENANT, "--patients", "30", "--seed", "5"]
        for option, port in self.ports.items():
            command += [option, str(port)]
        self.log = open(self.folder / "server.log", "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 180
        while True:
            assert self.process.poll() is None, (self.folder / "server.log").read_text()
            assert time.monotonic() < deadline, "the sandbox did not start"
            try:
                with socket.create_connection(("127.0.0.1", self.smtp_port), 1) as probe:
                    if probe.recv(100).startswith(b"220"):
                        with socket.create_connection(("127.0.0.1", self.imap_port), 1):
                            return self
            except OSError:
                time.sleep(0.2)

    @property
    def smtp_port(self) -> int:
        return self.ports["--smtp-port"]

    @property
    def imap_port(self) -> int:
        return self.ports["--imap-port"]

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(30)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


@pytest.mark.slow
def test_no_acknowledged_message_is_lost_after_sigkill(tmp_path):
    server = Server(tmp_path).start()
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
        server.log.close()
        server = Server(tmp_path)
        server.start()
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
