"""Helpers of the MSSanté tests (importable: tests/messaging is on sys.path; a unique module
name, since `conftest` is ambiguous when several test folders run in one session)."""

from __future__ import annotations

import imaplib
import smtplib
import ssl
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from fixtures.personas import PASSWORD
from fixtures.servers import LiveServer

from sandbox import messaging
from sandbox.runtime import Sandbox

TENANT = "classe-mss"
OTHER_TENANT = "classe-mss-b"


@dataclass
class World:
    sandbox: Sandbox
    servers: messaging.MailServers
    web: LiveServer  # the HTTP API: world.web.http("medecin") is a logged-in httpx client
    addresses: dict[str, str | None]
    folder: Path

    @property
    def url(self) -> str:
        return self.web.url

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


def message(sender: str, to: str, subject: str = "Test", body: str = "Bonjour.") -> bytes:
    return (f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n"
            f"Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\n{body}\r\n").encode()


