"""IMAP defects of issue 14, one test per kind, over the wire (`imap_wire`) against the server.

Ranges answered from the messages that exist, a slow command that stalls no one else, SEARCH
errors answered in 7-bit French, UIDVALIDITY and UIDs across expunges and resets, NOOP/IDLE
notifications, UTF-8 headers, EXAMINE, COPY, missing body parts, nesting, literals.
"""

from __future__ import annotations

import os
import threading

import pytest
from fixtures.personas import PASSWORD
from imap_wire import Str, Wire
from mss_helpers import TENANT
from sqlalchemy import select

import synthetic_data
from sandbox.auth_models import PersonaRow
from sandbox.messaging import imap_session, mailstore
from sandbox.seeding import SeedPopulation, reset_tenant, seed_tenant

UTF8_MESSAGE = (
    "From: Élise Durand <elise@ch.mssante.fr>\r\nTo: kine@kine.mssante.fr\r\n"
    "Subject: Résumé de séjour\r\nDate: Sat, 10 Jan 2026 08:00:00 +0000\r\nMIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; "
    "charset=utf-8\r\n\r\nSéjour terminé.\r\n--b\r\nContent-Type: application/pdf; "
    "name=\"compte-rendu-été.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n"
    "--b--\r\n").encode()


def _mailbox(world, login: str, tenant: str = TENANT) -> str:
    with world.sandbox.store.session() as session:
        return session.scalar(select(PersonaRow.mailbox).where(
            PersonaRow.tenant == tenant, PersonaRow.login == login))


def _deliver(world, login: str, raw: bytes, tenant: str = TENANT) -> None:
    mailstore.deliver(world.sandbox, tenant, mailstore.Sender(None, None, None),
                      "expediteur@test.mssante.fr", [_mailbox(world, login, tenant)], raw)


def _note(subject: str) -> bytes:
    return (f"From: a@test.mssante.fr\r\nTo: b@test.mssante.fr\r\nSubject: {subject}\r\n"
            f"Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\nCorps.\r\n").encode()


def _session(world, login: str, tenant: str = TENANT, mailbox: str = "SELECT INBOX") -> Wire:
    wire = Wire(world.servers.imap_port, world.ca_file)
    user = login if tenant == TENANT else f"{login}@{tenant}"
    assert wire.login(user, PASSWORD).status == "OK"
    assert wire.command(mailbox).status == "OK"
    return wire


def _ascii_french(response) -> str:
    text = response.raw.decode("ascii")  # raises if a reply is not 7-bit
    assert "Illegal" not in text and "Server error" not in text
    return text


def test_huge_ranges_answer_from_the_messages_that_exist(world):
    for n in range(3):
        _deliver(world, "sage-femme", _note(f"Plage {n}"))
    wire = _session(world, "sage-femme")
    try:
        count = int(wire.command("STATUS INBOX (MESSAGES)").untagged[0][2][1])
        refused = wire.command("FETCH 1:4294967295 (FLAGS)")
        assert refused.status == "BAD" and "4294967295" in _ascii_french(refused)
        fetched = wire.command("UID FETCH 1:4294967295 (FLAGS)")
        assert fetched.status == "OK" and len(fetched.untagged) == count
        stored = wire.command("UID STORE 1:4294967295 +FLAGS.SILENT (\\Seen)")
        assert stored.status == "OK"
        many = ",".join(f"{n}:{n + 99999999}" for n in range(1, 4000000000, 100000000))
        found = wire.command(f"UID SEARCH UID {many} SEEN")
        assert found.status == "OK" and len(found.untagged[0]) == count + 1
        assert wire.command("FETCH 1:* (UID)").status == "OK"
    finally:
        wire.close()


def test_a_slow_command_stalls_no_other_client(world, monkeypatch):
    """While one client's FETCH is held in the store, another logs in and is answered, and
    the first client's next command waits for its FETCH (answers stay in order)."""
    _deliver(world, "infirmier", _note("Lent"))
    release, entered = threading.Event(), threading.Event()
    original = imap_session.Session.fetch

    def slow_fetch(self, *args):
        entered.set()
        assert release.wait(30)
        return original(self, *args)

    slow = _session(world, "infirmier")
    monkeypatch.setattr(imap_session.Session, "fetch", slow_fetch)
    try:
        slow.send(b"s1 FETCH 1 (FLAGS)\r\ns2 NOOP\r\n")
        assert entered.wait(30)
        other = _session(world, "kine")
        assert other.command("NOOP").status == "OK"
        other.close()
        release.set()
        first, second = slow.finish(b"s1", b""), slow.finish(b"s2", b"")
        assert first.status == "OK" and first.untagged and second.status == "OK"
    finally:
        release.set()
        slow.close()


def test_search_answers_every_key_or_a_bad_in_french(world):
    _deliver(world, "sage-femme", UTF8_MESSAGE)
    wire = _session(world, "sage-femme")
    try:
        for keys in ("SINCE 1-Jan-2020", "LARGER 10", "OR SEEN UNSEEN", "SENTON 10-Jan-2026",
                     "NOT (OR DRAFT (KEYWORD $Phishing))", "HEADER Content-Type multipart"):
            assert wire.command(f"SEARCH {keys}").status == "OK", keys
        for keys, word in (("OR", "manquant"), ("SINCE 32-Foo-2020", "date"),
                           ("LARGER dix", "nombre"), ("FROBNICATE", "inconnu"),
                           ("SUBJECT Résumé", "ASCII")):
            response = wire.command(f"SEARCH {keys}".encode())
            assert response.status == "BAD" and word in _ascii_french(response), keys
        refused = wire.command("SEARCH CHARSET KOI8-R ALL")
        assert refused.status == "NO" and "[BADCHARSET (US-ASCII UTF-8)]" in _ascii_french(refused)
        literal = "séjour".encode()
        found = wire.command(f"SEARCH CHARSET UTF-8 BODY {{{len(literal)}}}", (literal,))
        assert found.status == "OK" and found.untagged[0][1:]
    finally:
        wire.close()


@pytest.fixture(scope="module")
def small_population():
    return SeedPopulation(synthetic_data.generate(n=10, seed=3))


def test_uidvalidity_grows_on_reset_and_uids_are_never_reused(world, small_population):
    tenant = "classe-uidvalidity"
    seed_tenant(world.sandbox, tenant, small_population)
    _deliver(world, "kine", _note("Un"), tenant)
    _deliver(world, "kine", _note("Deux"), tenant)
    wire = _session(world, "kine", tenant)
    try:
        first = int(wire.command("STATUS INBOX (UIDVALIDITY)").untagged[0][2][1])
        assert wire.command("STORE 2 +FLAGS (\\Deleted)").status == "OK"
        assert wire.command("EXPUNGE").status == "OK"
        _deliver(world, "kine", _note("Trois"), tenant)
        noop = wire.command("NOOP")
        assert [u for u in noop.untagged if u[1] == b"EXISTS"]
        assert wire.command("UID SEARCH ALL").untagged[0][1:] == [b"1", b"3"]  # 2 not reused

        reset_tenant(world.sandbox, tenant, small_population)  # what `sandbox reset` does
        gone = wire.command("NOOP")  # the open session learns its mailbox is another one
        assert gone.status == "BYE" or any(u[0] == b"BYE" for u in gone.untagged)
    finally:
        wire.close()
    _deliver(world, "kine", _note("Apres"), tenant)
    wire = _session(world, "kine", tenant)
    try:
        second = int(wire.command("STATUS INBOX (UIDVALIDITY)").untagged[0][2][1])
        assert second > first
        assert wire.command("UID SEARCH ALL").untagged[0][1:] == [b"1"]
    finally:
        wire.close()


def test_noop_and_idle_report_what_other_sessions_did(world):
    for n in range(2):
        _deliver(world, "pharmacien", _note(f"Partage {n}"))
    a, b = _session(world, "pharmacien"), _session(world, "pharmacien")
    try:
        count = int(a.command("STATUS INBOX (MESSAGES)").untagged[0][2][1])
        assert b.command(f"STORE {count} +FLAGS (\\Deleted)").status == "OK"
        assert b.command("EXPUNGE").status == "OK"
        assert b.command("STORE 1 +FLAGS (Relu)").status == "OK"
        noop = a.command("NOOP")
        assert [b"%d" % count, b"EXPUNGE"] in [u[:2] for u in noop.untagged]
        assert any(u[1] == b"FETCH" and b"Relu" in u[2][u[2].index(b"FLAGS") + 1]
                   for u in noop.untagged)
        a.count += 1
        a.send(b"i1 IDLE\r\n")
        assert a.read_line().startswith(b"+")
        _deliver(world, "pharmacien", _note("Pendant IDLE"))
        assert a.read_untagged()[1] == b"EXISTS"
        a.send(b"DONE\r\n")
        assert a.finish(b"i1", b"").status == "OK"
    finally:
        a.close()
        b.close()


def test_utf8_headers_come_out_as_sent(world):
    _deliver(world, "urgentiste", UTF8_MESSAGE)
    wire = _session(world, "urgentiste")
    try:
        response = wire.command("FETCH * (ENVELOPE BODYSTRUCTURE "
                                "BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)])")
        assert response.status == "OK"
        assert "Résumé de séjour".encode() in response.raw
        assert "Élise Durand".encode() in response.raw
        assert "compte-rendu-été.pdf".encode() in response.raw
        assert b"??" not in response.raw
    finally:
        wire.close()


def test_examine_is_read_only(world):
    _deliver(world, "medecin2", _note("Lecture seule"))
    wire = _session(world, "medecin2", mailbox="EXAMINE INBOX")
    try:
        assert wire.command("NOOP").status == "OK"
        opened = wire.command("EXAMINE INBOX")
        assert opened.text.startswith(b"[READ-ONLY]")
        wire.command("FETCH * BODY[TEXT]")
        assert b"\\Seen" not in wire.command("FETCH * FLAGS").raw
        for command in ("STORE * +FLAGS (\\Seen)", "EXPUNGE"):
            refused = wire.command(command)
            assert refused.status == "NO" and "lecture seule" in _ascii_french(refused)
    finally:
        wire.close()


def test_copy_into_inbox(world):
    _deliver(world, "secretaire", _note("A copier"))
    wire = _session(world, "secretaire")
    try:
        count = int(wire.command("STATUS INBOX (MESSAGES)").untagged[0][2][1])
        assert wire.command("STORE * +FLAGS (\\Flagged)").status == "OK"
        copied = wire.command("COPY * INBOX")
        assert copied.status == "OK" and [b"%d" % (count + 1), b"EXISTS"] in copied.untagged
        flags = wire.command(f"FETCH {count + 1} FLAGS")
        assert b"\\Flagged" in flags.raw
        refused = wire.command("COPY 1 Archives")
        assert refused.status == "NO" and "[TRYCREATE]" in _ascii_french(refused)
    finally:
        wire.close()


def test_missing_body_part_and_deep_nesting_keep_the_connection(world):
    _deliver(world, "urgentiste", _note("Parties"))
    wire = _session(world, "urgentiste")
    try:
        part = wire.command("FETCH 1 BODY.PEEK[1.2.3.4]")
        assert part.status == "OK" and part.untagged[0][2][1] == Str(b"")
        deep = "(" * 1000 + "ALL" + ")" * 1000
        for command in (f"SEARCH {deep}", f"FETCH 1 {deep.replace('ALL', 'FLAGS')}"):
            refused = wire.command(command)
            assert refused.status == "BAD", command
            _ascii_french(refused)
        assert wire.command("NOOP").status == "OK"
    finally:
        wire.close()


def test_literals_are_refused_before_they_are_read(world):
    wire = _session(world, "kine")
    try:
        files = len(os.listdir("/proc/self/fd"))
        for _ in range(20):
            refused = wire.command("APPEND INBOX (\\Seen) {100000000}")
            assert refused.status == "NO" and "SMTP" in _ascii_french(refused)
        too_long = wire.command("SEARCH CHARSET UTF-8 SUBJECT {70000}")
        assert too_long.status == "BAD" and "65536" in _ascii_french(too_long)
        assert wire.command("NOOP").status == "OK"
        assert len(os.listdir("/proc/self/fd")) <= files  # nothing spooled, nothing left open
        unknown = wire.command("FROBNICATE")
        assert unknown.status == "BAD" and "commande inconnue" in _ascii_french(unknown)
    finally:
        wire.close()
