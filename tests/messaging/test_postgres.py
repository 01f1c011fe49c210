"""The same SMTP → IMAP path on PostgreSQL: concurrent deliveries, UIDs, tenant isolation."""

from __future__ import annotations

import imaplib
import smtplib
import ssl
import threading

import pytest
from mss_helpers import message
from sqlalchemy import select

from sandbox import messaging
from sandbox.messaging.models import MessageRow
from sandbox.personas import default_personas_of
from sandbox.runtime import Sandbox
from sandbox.seeding import SeedPopulation, seed_tenant
from sandbox.settings import Settings


@pytest.mark.postgres
def test_concurrent_delivery_and_imap_on_postgresql(postgres_server, tmp_path):
    import synthetic_data

    settings = Settings(data_dir=tmp_path, db=postgres_server.database(), tenant="pg-a")
    sandbox = Sandbox.open(settings)
    population = SeedPopulation(synthetic_data.generate(n=20, seed=9, years=1))
    for tenant in ("pg-a", "pg-b"):
        seed_tenant(sandbox, tenant, population)
    servers = messaging.serve(sandbox, "127.0.0.1", 0, 0)
    try:
        boxes = {p.login: p.mailbox for p in default_personas_of(sandbox, "pg-a")}
        context = ssl.create_default_context(cafile=str(servers.ca_file))
        to = boxes["pharmacien"]
        errors: list[str] = []

        def client(login: str) -> None:
            with smtplib.SMTP("127.0.0.1", servers.smtp_port, timeout=60) as smtp:
                smtp.starttls(context=context)
                smtp.login(login, "bac-a-sable")
                for n in range(20):
                    refused = smtp.sendmail(boxes[login], [to], message(
                        boxes[login], to, f"pg-{login}-{n}"))  # raises if all refused
                    if refused:
                        errors.append(str(refused))

        logins = ["medecin", "medecin2", "urgentiste", "infirmier", "kine"]
        threads = [threading.Thread(target=client, args=(login,)) for login in logins]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors
        with sandbox.store.session() as session:
            uids = session.scalars(select(MessageRow.uid).where(
                MessageRow.tenant == "pg-a", MessageRow.mailbox == to)).all()
            other = session.scalars(select(MessageRow.uid).where(
                MessageRow.tenant == "pg-b")).all()
        assert sorted(uids) == list(range(1, 101)) and other == []
        imap = imaplib.IMAP4("127.0.0.1", servers.imap_port, timeout=30)
        imap.starttls(ssl_context=context)
        imap.login("pharmacien@pg-a", "bac-a-sable")
        _typ, data = imap.select("INBOX")
        assert int(data[0]) == 100
        _typ, data = imap.search(None, "SUBJECT", "pg-kine-19")
        assert len(data[0].split()) == 1
        imap.logout()
        imap = imaplib.IMAP4("127.0.0.1", servers.imap_port, timeout=30)
        imap.starttls(ssl_context=context)
        imap.login("pharmacien@pg-b", "bac-a-sable")
        _typ, data = imap.select("INBOX")
        assert int(data[0]) == 0  # the other tenant's mailbox of the same person is empty
        imap.logout()
    finally:
        servers.stop()
        sandbox.store.dispose()
