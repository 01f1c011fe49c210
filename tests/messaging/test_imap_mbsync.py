"""A real IMAP client, mbsync (Debian `isync`), syncing a persona's INBOX with the sandbox.

mbsync keeps UIDs and UIDVALIDITY between runs, pipelines its commands and trusts the
server's numbering: it is what a student's or an establishment's mail client relies on. The
test reads, flags and deletes on both sides, then resets the tenant with the real
`santelab sandbox reset` (another process, as a trainer does), and checks that mbsync notices
the new UIDVALIDITY instead of keeping deleted mail or missing new mail.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from mailbox import Maildir
from pathlib import Path

import pytest
from fixtures.personas import PASSWORD
from sqlalchemy import select

from sandbox.auth_models import PersonaRow
from sandbox.messaging import mailstore
from sandbox.seeding import SeedPopulation, seed_tenant

TENANT = "classe-mbsync"
LOGIN = "kine"

CONFIG = """\
IMAPAccount sandbox
Host localhost
Port {port}
User {user}
Pass {password}
SSLType STARTTLS
CertificateFile {ca}
PipelineDepth 10

IMAPStore far
Account sandbox

MaildirStore near
Path {maildir}/
Inbox {maildir}/INBOX
SubFolders Verbatim

Channel inbox
Far :far:
Near :near:
Patterns INBOX
Create Near
Sync All
Expunge Both
SyncState {state}/
"""


def _reset(world) -> None:
    """`santelab sandbox reset` of the test's tenant, in its own process."""
    santelab = Path(sys.executable).parent / "santelab"
    subprocess.run([str(santelab), "sandbox", "reset", "--db",
                    f"sqlite:///{world.folder / 'sandbox.sqlite'}", "--tenant", TENANT,
                    "--patients", "10", "--seed", "7", "--data-dir", str(world.folder)],
                   check=True, capture_output=True, timeout=300)


@pytest.fixture(scope="module")
def mbsync(world, tmp_path_factory):
    import synthetic_data

    seed_tenant(world.sandbox, TENANT, SeedPopulation(synthetic_data.generate(n=10, seed=7)))
    folder = tmp_path_factory.mktemp("mbsync")
    (folder / "state").mkdir()
    (folder / "mail").mkdir()
    config = folder / "mbsyncrc"
    config.write_text(CONFIG.format(port=world.servers.imap_port, user=f"{LOGIN}@{TENANT}",
                                    password=PASSWORD, ca=world.ca_file,
                                    maildir=folder / "mail", state=folder / "state"))
    config.chmod(0o600)

    def run() -> subprocess.CompletedProcess:
        return subprocess.run(["mbsync", "-c", str(config), "-a"], capture_output=True,
                              text=True, timeout=120)

    return run, folder / "mail" / "INBOX", folder / "state"


def _address(world) -> str:
    with world.sandbox.store.session() as session:
        return session.scalar(select(PersonaRow.mailbox).where(
            PersonaRow.tenant == TENANT, PersonaRow.login == LOGIN))


def _deliver(world, subject: str) -> None:
    to = _address(world)
    raw = (f"From: medecin@test.mssante.fr\r\nTo: {to}\r\nSubject: {subject}\r\n"
           f"Message-ID: <{subject.replace(' ', '-')}@test>\r\n"
           f"Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\nCorps de {subject}.\r\n").encode()
    mailstore.deliver(world.sandbox, TENANT, mailstore.Sender(None, None, None),
                      "medecin@test.mssante.fr", [to], raw, subject=subject)


def _local(inbox: Path) -> dict[str, str]:
    """Subject → maildir flags of the local copies."""
    box = Maildir(inbox, create=False)
    return {message["Subject"]: message.get_flags() for message in box}


def _server(world) -> dict[str, list[str]]:
    with world.sandbox.store.session() as session:
        rows = mailstore.list_messages(session, TENANT, _address(world))
    return {row.subject: list(row.flags or []) for row in rows}


def test_mbsync_reads_flags_deletes_and_survives_a_reset(world, mbsync):
    run, inbox, state = mbsync
    for subject in ("Premier", "Deuxieme", "Troisieme"):
        _deliver(world, subject)
    result = run()
    assert result.returncode == 0, result.stderr
    assert set(_local(inbox)) == {"Premier", "Deuxieme", "Troisieme"}

    # on the server: one flagged, one deleted, one new
    address = _address(world)
    uids = {subject: uid for uid, subject in _uids(world, address)}
    mailstore.set_flags(world.sandbox, TENANT, address, [uids["Premier"]], ["\\Flagged"])
    mailstore.set_flags(world.sandbox, TENANT, address, [uids["Deuxieme"]], ["\\Deleted"])
    mailstore.expunge(world.sandbox, TENANT, address)
    _deliver(world, "Quatrieme")
    result = run()
    assert result.returncode == 0, result.stderr
    local = _local(inbox)
    assert set(local) == {"Premier", "Troisieme", "Quatrieme"}
    assert "F" in local["Premier"]

    # in the client: one read, one deleted; mbsync pushes both
    box = Maildir(inbox, create=False)
    for key, message in box.items():
        if message["Subject"] == "Troisieme":
            message.add_flag("S")
            box[key] = message
        elif message["Subject"] == "Quatrieme":
            box.remove(key)
    result = run()
    assert result.returncode == 0, result.stderr
    server = _server(world)
    assert set(server) == {"Premier", "Troisieme"}
    assert "\\Seen" in server["Troisieme"] and "\\Flagged" in server["Premier"]

    # the trainer resets the tenant: UIDs start again at 1 under a new, greater UIDVALIDITY
    before = mailstore.uid_validity(world.sandbox, TENANT, address)
    _reset(world)
    _deliver(world, "Apres reinitialisation")
    result = run()
    assert result.returncode != 0  # mbsync stops on this box rather than mixing two histories
    assert "UIDVALIDITY genuinely changed" in result.stderr, result.stderr
    assert mailstore.uid_validity(world.sandbox, TENANT, _address(world)) > before
    # what mbsync asks of its user: sync that box afresh; nothing deleted survives, nothing
    # new is missed
    shutil.rmtree(state)
    shutil.rmtree(inbox)
    state.mkdir()
    result = run()
    assert result.returncode == 0, result.stderr
    assert set(_local(inbox)) == {"Apres reinitialisation"}


def _uids(world, address: str) -> list[tuple[int, str]]:
    with world.sandbox.store.session() as session:
        return [(r.uid, r.subject) for r in mailstore.list_messages(session, TENANT, address)]
