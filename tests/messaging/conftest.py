"""MSSanté test fixtures: a seeded tenant with its SMTP, IMAP and HTTP servers on loopback.

    def test_x(world):
        with world.smtp("medecin") as smtp:          # STARTTLS + AUTH done
            smtp.sendmail(world.address("medecin"), [world.address("pharmacien")], raw)
        with world.imap("pharmacien") as imap: ...    # STARTTLS + LOGIN, INBOX selected
"""

from __future__ import annotations

import imaplib
import smtplib
import socket
import ssl
import threading
import time
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy import select

from sandbox import messaging
from sandbox.app import create_app
from sandbox.messaging.models import MailboxRow
from sandbox.messaging.seed import seed as seed_mailboxes
from sandbox.runtime import Sandbox
from sandbox.seed import SeedPopulation, default_personas_of, seed_tenant
from sandbox.settings import Settings

TENANT = "classe-mss"
OTHER_TENANT = "classe-mss-b"
PASSWORD = "bac-a-sable"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class World:
    sandbox: Sandbox
    servers: messaging.MailServers
    url: str
    addresses: dict[str, str | None]
    folder: Path

    @property
    def ca_file(self) -> str:
        return str(self.servers.ca_file)

    def context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca_file)

    def address(self, login: str, tenant: str = TENANT) -> str:
        return self.addresses[login]

    @contextmanager
    def smtp(self, login: str | None = None, password: str = PASSWORD):
        client = smtplib.SMTP("127.0.0.1", self.servers.smtp_port, timeout=30)
        try:
            client.starttls(context=self.context())
            if login:
                client.login(login, password)
            yield client
        finally:
            try:
                client.quit()
            except smtplib.SMTPException:
                client.close()

    @contextmanager
    def imap(self, login: str, password: str = PASSWORD):
        client = imaplib.IMAP4("127.0.0.1", self.servers.imap_port, timeout=30)
        try:
            client.starttls(ssl_context=self.context())
            client.login(login, password)
            client.select("INBOX")
            yield client
        finally:
            with suppress(imaplib.IMAP4.error, OSError):
                client.logout()

    def token(self, login: str, tenant: str = TENANT) -> str:
        response = httpx.post(f"{self.url}/auth/token",
                              json={"tenant": tenant, "login": login, "password": PASSWORD})
        response.raise_for_status()
        return response.json()["access_token"]

    def http(self, login: str, tenant: str = TENANT) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30,
                            headers={"Authorization": f"Bearer {self.token(login, tenant)}"})


def message(sender: str, to: str, subject: str = "Test", body: str = "Bonjour.") -> bytes:
    return (f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n"
            f"Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\n{body}\r\n").encode()


def ensure_mailbox_seed(sandbox: Sandbox, tenant: str, population) -> None:
    """The core seeder may or may not call the messaging seeder yet: seed mailboxes once."""
    with sandbox.store.session() as session:
        if session.scalar(select(MailboxRow.address).where(MailboxRow.tenant == tenant)
                          .limit(1)) is None:
            seed_mailboxes(session, tenant, population)


@pytest.fixture(scope="session")
def world(tmp_path_factory) -> World:
    import synthetic_data

    folder = tmp_path_factory.mktemp("mssante")
    settings = Settings(data_dir=folder, db=f"sqlite:///{folder / 'sandbox.sqlite'}",
                        tenant=TENANT, patients=40, seed=7)
    sandbox = Sandbox.open(settings)
    population = SeedPopulation(synthetic_data.generate(n=40, seed=7, years=1))
    for tenant in (TENANT, OTHER_TENANT):
        seed_tenant(sandbox, tenant, population)
        ensure_mailbox_seed(sandbox, tenant, population)
    servers = messaging.serve(sandbox, "127.0.0.1", 0, 0)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(sandbox), host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive(), "uvicorn did not start"
        time.sleep(0.02)
    addresses = {p.login: p.mailbox for p in default_personas_of(sandbox, TENANT)}
    yield World(sandbox, servers, f"http://127.0.0.1:{port}", addresses, folder)
    server.should_exit = True
    thread.join(10)
    servers.stop()
    sandbox.store.dispose()
