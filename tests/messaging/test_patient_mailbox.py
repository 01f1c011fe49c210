"""Mon espace santé's messaging over the real SMTP and IMAP servers: a professional writes to
`<matricule INS>@patient.mssante.fr`, the patient reads it in her own box, and cannot start a
conversation with a professional."""

from __future__ import annotations

import email
from email import policy

from mss_helpers import TENANT, message
from sqlalchemy import select

from sandbox.auth_models import PersonaRow
from sandbox.messaging.mailstore import PATIENT_DOMAIN


def _patient_box(world) -> str:
    address = world.address("patient")
    assert address and address.endswith(f"@{PATIENT_DOMAIN}")
    return address


def _fetch_subjects(world, login: str) -> list[str]:
    with world.imap(login) as imap:
        _typ, data = imap.uid("FETCH", "1:*", "(BODY.PEEK[HEADER])")
    return [str(email.message_from_bytes(item[1], policy=policy.default)["Subject"])
            for item in data if isinstance(item, tuple)]


def test_the_patient_box_is_built_on_her_matricule_ins(world):
    from synthetic_data import generate

    with world.sandbox.store.session() as session:
        patient_id = session.get(PersonaRow, (TENANT, "patient")).patient_id
    person = next(p for p in generate(n=40, seed=7, years=1).identities() if p.id == patient_id)
    assert _patient_box(world) == f"{person.identity.matricule}@{PATIENT_DOMAIN}"


def test_a_professional_writes_to_the_patient_who_reads_it_over_imap(world):
    sender, to = world.address("medecin"), _patient_box(world)
    with world.smtp("medecin") as smtp:
        assert smtp.mail(sender)[0] == 250
        assert smtp.rcpt(to)[0] == 250
        code, reply = smtp.data(message(sender, to, "Vos résultats sont normaux"))
    assert code == 250, reply
    assert "Vos résultats sont normaux" in _fetch_subjects(world, "patient")
    # Another patient's box stays empty of it.
    with world.sandbox.store.session() as session:
        other = session.scalars(select(PersonaRow.login).where(
            PersonaRow.tenant == TENANT, PersonaRow.role == "patient",
            PersonaRow.login != "patient", PersonaRow.mailbox.is_not(None))).first()
    assert "Vos résultats sont normaux" not in _fetch_subjects(world, other)


def test_an_organisational_box_writes_to_the_patient_too(world):
    sender, to = world.address("secretaire"), _patient_box(world)
    with world.smtp("secretaire") as smtp:
        smtp.sendmail(sender, [to], message(sender, to, "Rappel de rendez-vous"))
    assert "Rappel de rendez-vous" in _fetch_subjects(world, "patient")


def test_an_unknown_matricule_is_an_unknown_recipient_not_a_relay(world):
    with world.smtp("medecin") as smtp:
        smtp.mail(world.address("medecin"))
        code, reply = smtp.rcpt(f"123456789012345@{PATIENT_DOMAIN}")
    assert code == 550
    text = reply.decode()
    assert text.startswith("5.1.1 Destinataire inconnu") and "Mon espace santé" in text


def test_the_patient_cannot_start_a_conversation(world):
    with world.smtp("patient") as smtp:
        code, reply = smtp.mail(_patient_box(world))
    assert code == 550 and "Annuaire Santé" in reply.decode()
