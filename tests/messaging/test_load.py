"""1,000 messages from 20 concurrent SMTP clients: each accepted message in each recipient's
mailbox exactly once."""

from __future__ import annotations

import smtplib
import threading
from collections import Counter

import pytest
from mss_helpers import TENANT, message
from sqlalchemy import select

from sandbox.auth_models import PersonaRow
from sandbox.messaging.models import MessageRow

CLIENTS = 20
PER_CLIENT = 50


@pytest.mark.slow
def test_1000_messages_from_20_concurrent_clients(world):
    with world.sandbox.store.session() as session:
        personas = session.execute(select(PersonaRow.login, PersonaRow.mailbox).where(
            PersonaRow.tenant == TENANT, PersonaRow.mailbox.is_not(None),
            PersonaRow.login.like("1%"))).all()  # practitioners log in by RPPS
    personas = sorted(personas)[:CLIENTS + 5]
    senders, boxes = personas[:CLIENTS], [m for _, m in personas]
    assert len(senders) == CLIENTS
    accepted: dict[str, list[str]] = {}
    failures: list[str] = []
    lock = threading.Lock()

    def client(index: int, login: str, mailbox: str) -> None:
        try:
            with world.smtp(login) as smtp:
                for n in range(PER_CLIENT):
                    key = f"charge-{index}-{n}"
                    to = sorted({boxes[(index + n) % len(boxes)],
                                 boxes[(index * 7 + n + 1) % len(boxes)]})
                    code, reply = smtp.mail(mailbox)
                    for rcpt in to:
                        smtp.rcpt(rcpt)
                    code, reply = smtp.data(message(mailbox, ", ".join(to), key))
                    if code == 250:
                        with lock:
                            accepted[key] = to
                    else:
                        smtp.rset()
                        with lock:
                            failures.append(f"{key}: {code} {reply!r}")
        except (smtplib.SMTPException, OSError) as exc:
            with lock:
                failures.append(f"client {index}: {exc!r}")

    threads = [threading.Thread(target=client, args=(i, login, mailbox))
               for i, (login, mailbox) in enumerate(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures[:5]
    assert len(accepted) == CLIENTS * PER_CLIENT
    with world.sandbox.store.session() as session:
        rows = session.execute(select(MessageRow.subject, MessageRow.mailbox).where(
            MessageRow.tenant == TENANT, MessageRow.subject.like("charge-%"))).all()
    copies = Counter(rows)
    assert set(copies.values()) == {1}, "a message stored twice in one mailbox"
    stored: dict[str, set[str]] = {}
    for subject, mailbox in rows:
        stored.setdefault(subject, set()).add(mailbox)
    assert stored == {key: set(to) for key, to in accepted.items()}
