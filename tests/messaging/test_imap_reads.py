"""IMAP reads are accesses like the others: every FETCH of messages is one `mssante.read` event."""

from __future__ import annotations

from mss_helpers import TENANT, message

from sandbox import events as stream


def test_each_imap_fetch_is_traced_with_the_messages_it_served(world):
    sender, to = world.address("medecin"), world.address("infirmier")
    with world.smtp("medecin") as smtp:
        for subject in ("Lecture 1", "Lecture 2"):
            smtp.sendmail(sender, [to], message(sender, to, subject))
    with world.imap("infirmier") as imap:
        imap.select("INBOX")
        _typ, data = imap.uid("SEARCH", None, "ALL")
        uids = data[0].split()
        imap.uid("FETCH", b",".join(uids[-2:]).decode(), "(RFC822)")
        imap.uid("FETCH", uids[-1].decode(), "(BODY.PEEK[HEADER])")
    with world.sandbox.store.session() as session:
        reads = [e for e in stream.stream(session, TENANT, service="mssante", limit=100_000)
                 if e.action == "mssante.read" and e.persona == "infirmier"]
    assert [(e.detail["via"], e.detail["messages"], e.outcome) for e in reads[-2:]] == [
        ("imap", 2, "success"), ("imap", 1, "success")]
    assert reads[-1].target.startswith("message/") and len(reads[-2].detail["ids"]) == 2
