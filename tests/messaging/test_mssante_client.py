"""`s.mssante` behaves the same over real SMTP/IMAP and over the HTTP API."""

from __future__ import annotations

from pathlib import Path

import pytest
from mss_helpers import TENANT

from sandbox import messaging
from sandbox.client import AccessDenied, NotFound, connect


@pytest.fixture(params=["smtp", "http"])
def mode(request, world, monkeypatch) -> str:
    if request.param == "http":
        monkeypatch.setattr(messaging, "_RUNNING", {})
    return request.param


def test_send_inbox_read_with_attachment(world, mode, tmp_path):
    sender = connect("urgentiste", url=world.url, tenant=TENANT)
    reader = connect("sage-femme", url=world.url, tenant=TENANT)
    assert sender.mssante.mode == reader.mssante.mode == mode
    letter = Path(tmp_path / "lettre.txt")
    letter.write_text("Lettre de liaison (synthétique).", encoding="utf-8")
    sent = sender.mssante.send(to=reader.mssante.address, subject=f"Liaison {mode}",
                               body="Bonjour, ci-joint la lettre.",
                               attachments=[letter, ("note.bin", b"\x00\x01", "application/octet-stream")])
    assert sent["message_id"].startswith("mss-")
    assert sent["destinataires"] == [reader.mssante.address]
    summary = [m for m in reader.mssante.inbox() if m.subject == f"Liaison {mode}"][-1]
    assert summary.sender == sender.mssante.address and not summary.seen
    received = reader.mssante.read(summary.id)
    assert received.body.strip() == "Bonjour, ci-joint la lettre."
    assert {a.filename: a.data for a in received.attachments} == {
        "lettre.txt": "Lettre de liaison (synthétique).".encode(), "note.bin": b"\x00\x01"}
    assert next(m for m in reader.mssante.inbox() if m.id == summary.id).seen


def test_refusals_are_typed_french_errors(world, mode):
    doctor = connect("medecin", url=world.url, tenant=TENANT)
    with pytest.raises(NotFound) as unknown:
        doctor.mssante.send(to=f"personne@{world.address('medecin').rpartition('@')[2]}",
                            subject="x")  # the Annuaire's own domain, no such box
    assert "Destinataire inconnu" in str(unknown.value)
    with pytest.raises(AccessDenied) as relay:
        doctor.mssante.send(to="ami@gmail.com", subject="x")
    assert "Relais refusé" in str(relay.value)
    student = connect("etudiant", url=world.url, tenant=TENANT)
    with pytest.raises(AccessDenied):
        student.mssante.send(to=world.address("medecin"), subject="x")
