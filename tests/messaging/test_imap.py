"""IMAP over STARTTLS with imaplib: list, fetch, search, flags, expunge; no login in clear."""

from __future__ import annotations

import imaplib

import pytest
from mss_helpers import TENANT, message

from sandbox import events as stream


def _send(world, login: str, to_login: str, subject: str) -> None:
    sender, to = world.address(login), world.address(to_login)
    with world.smtp(login) as smtp:
        smtp.sendmail(sender, [to], message(sender, to, subject, f"Corps de {subject}"))


def _refused_login(world, login: str, password: str = "bac-a-sable") -> str:
    """Log in over STARTTLS, expecting a refusal: the server's answer."""
    client = imaplib.IMAP4("127.0.0.1", world.servers.imap_port, timeout=30)
    try:
        client.starttls(ssl_context=world.context())
        with pytest.raises(imaplib.IMAP4.error) as caught:
            client.login(login, password)
        return str(caught.value)
    finally:
        client.shutdown()


def test_login_without_tls_is_refused(world):
    client = imaplib.IMAP4("127.0.0.1", world.servers.imap_port, timeout=30)
    try:
        assert "LOGINDISABLED" in client.capabilities
        assert "STARTTLS" in client.capabilities
        with pytest.raises(imaplib.IMAP4.error) as caught:
            client.login("kine", "bac-a-sable")
        assert "STARTTLS" in str(caught.value)
    finally:
        client.shutdown()


def test_wrong_password_is_refused(world):
    assert "AUTHENTICATIONFAILED" in _refused_login(world, "kine", "faux")


def test_list_fetch_search_flag_expunge(world):
    for subject in ("Premier", "Deuxième", "Troisième"):
        _send(world, "medecin", "kine", subject)
    with world.imap("kine") as imap:
        typ, folders = imap.list()
        assert typ == "OK" and b"INBOX" in folders[0]
        typ, data = imap.select("INBOX")
        count = int(data[0])
        assert count >= 3
        typ, data = imap.uid("SEARCH", None, "ALL")
        uids = [int(u) for u in data[0].split()]
        assert len(uids) == count and uids == sorted(uids)
        typ, data = imap.search(None, "UNSEEN")
        assert len(data[0].split()) == count
        # FETCH by UID: the body, and the flags it sets
        last = uids[-1]
        typ, data = imap.uid("FETCH", str(last), "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        assert b"Trois" in data[0][1]
        typ, data = imap.uid("FETCH", str(last), "(FLAGS)")
        assert b"\\Seen" not in data[0]  # PEEK leaves it unread
        typ, data = imap.uid("FETCH", str(last), "(RFC822)")
        assert b"Corps de Troisi" in data[0][1]
        typ, data = imap.uid("FETCH", str(last), "(FLAGS)")
        assert b"\\Seen" in data[0]  # RFC 3501: fetching the body marks it read
        imap.uid("STORE", str(last), "+FLAGS", "(\\Seen \\Flagged)")
        typ, data = imap.search(None, "FLAGGED")
        assert len(data[0].split()) == 1
        typ, data = imap.search(None, "SEEN")
        assert len(data[0].split()) == 1
        typ, data = imap.search(None, 'SUBJECT "Premier"')
        assert len(data[0].split()) == 1
        # \Deleted + EXPUNGE removes exactly the flagged message
        first = uids[0]
        imap.uid("STORE", str(first), "+FLAGS", "(\\Deleted)")
        typ, data = imap.expunge()
        assert typ == "OK"
        typ, data = imap.uid("SEARCH", None, "ALL")
        remaining = [int(u) for u in data[0].split()]
        assert remaining == uids[1:]
    with world.imap("kine") as imap:  # a new session sees the same state
        typ, data = imap.uid("FETCH", str(last), "(FLAGS)")
        assert b"\\Flagged" in data[0] and b"\\Seen" in data[0]


def test_phishing_flag_is_a_report_event(world):
    _send(world, "medecin", "infirmier", "Suspect")
    with world.imap("infirmier") as imap:
        _typ, data = imap.uid("SEARCH", None, "ALL")
        uid = data[0].split()[-1].decode()
        imap.uid("STORE", uid, "+FLAGS", "($Phishing)")
        _typ, data = imap.uid("FETCH", uid, "(FLAGS)")
        assert b"$Phishing" in data[0]
    with world.sandbox.store.session() as session:
        rows = [e for e in stream.stream(session, TENANT, service="mssante", limit=100_000)
                if e.action == "mssante.report"]
    assert rows and rows[-1].persona == "infirmier" and rows[-1].detail["via"] == "imap"


def test_persona_without_mailbox_cannot_open_imap(world):
    assert "MSSante" in _refused_login(world, "etudiant")


def test_unavailable_fault_refuses_imap_login(world):
    from mss_helpers import OTHER_TENANT

    from sandbox.faults_models import FaultRow

    book = world.servers.imap_faults
    book.set(OTHER_TENANT, FaultRow(tenant=OTHER_TENANT, service="mssante", mode="indisponible",
                                    message="Messagerie en panne (exercice)"))
    try:
        answer = _refused_login(world, f"kine@{OTHER_TENANT}")
        assert "UNAVAILABLE" in answer and "panne" in answer
        with world.imap("kine"):  # the other tenant still reads its mail
            pass
    finally:
        book.clear(OTHER_TENANT, "mssante")


def test_busy_port_is_a_french_error(world):
    from sandbox import messaging
    from synthetic_data.errors import SantelabError

    with pytest.raises(SantelabError) as caught:
        messaging.serve(world.sandbox, "127.0.0.1", world.servers.smtp_port, 0)
    assert "--smtp-port" in str(caught.value)
    with pytest.raises(SantelabError) as caught:
        messaging.serve(world.sandbox, "127.0.0.1", 0, world.servers.imap_port)
    assert "--imap-port" in str(caught.value)
    with world.imap("kine"):  # the running servers are untouched
        pass
