"""Clinical attachments: IHE XDM round trip, bad packages and zip bombs refused with a reason."""

from __future__ import annotations

import io
import zipfile
from email.policy import SMTP

import pytest
from mss_helpers import TENANT, message
from sqlalchemy import select

from sandbox import events
from sandbox.auth_models import PersonaRow
from sandbox.client import connect
from sandbox.messaging import xdm
from sandbox.services.dmp.models import DmpPatientRow

PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]"
       b"/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
INS = "279035121518989"


def test_build_and_open_a_level1_pdf_package():
    package = xdm.build_xdm(PDF, ins=INS, type_code="11488-4", class_code="10",
                            title="CR de consultation", confidentiality="N")
    names = set(zipfile.ZipFile(io.BytesIO(package)).namelist())
    assert {"INDEX.HTM", "README.TXT", xdm.METADATA, xdm.DOCUMENT} <= names
    doc = xdm.open_xdm(package)
    assert (doc.ins, doc.ins_oid, doc.type_code, doc.class_code, doc.confidentiality) == (
        INS, "1.2.250.1.213.1.4.10", "11488-4", "10", "N")
    assert doc.pdf == PDF and b"nonXMLBody" in doc.cda and b"urn:hl7-org:v3" in doc.cda


def test_a_level3_cda_travels_unchanged():
    cda = b'<?xml version="1.0"?><ClinicalDocument xmlns="urn:hl7-org:v3"><title>x</title></ClinicalDocument>'
    doc = xdm.open_xdm(xdm.build_xdm(cda, ins=INS, type_code="34112-3", class_code="11",
                                     title="CRH"))
    assert doc.cda == cda and doc.pdf is None and doc.content == cda


def _zip(entries: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _good_entries() -> dict[str, bytes]:
    archive = zipfile.ZipFile(io.BytesIO(xdm.build_xdm(PDF, ins=INS, type_code="11488-4",
                                                       class_code="10", title="CR")))
    return {n: archive.read(n) for n in archive.namelist()}


def _bad_packages() -> dict[str, tuple[bytes, str]]:
    good = _good_entries()
    no_meta = {k: v for k, v in good.items() if k != xdm.METADATA}
    bad_patient = dict(good)
    bad_patient[xdm.METADATA] = good[xdm.METADATA].replace(b"1.2.250.1.213.1.4.10",
                                                            b"1.2.3.4")
    wrong_key = dict(good)  # a student's slip: the last digit of the INS mistyped
    wrong_key[xdm.METADATA] = good[xdm.METADATA].replace(INS.encode(), INS[:-1].encode() + b"0")
    traversal = {**good, "../../etc/passwd": b"x"}
    entity = dict(good)
    entity[xdm.METADATA] = b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY b "c">]><a>&b;</a>'
    return {
        "not a zip": (b"ceci n'est pas une archive", "pas une archive zip"),
        "missing metadata": (_zip(no_meta), "il manque IHE_XDM/SUBSET01/METADATA.XML"),
        "bad patient id": (_zip(bad_patient), "identifiant patient"),
        "INS with a wrong key": (_zip(wrong_key), "La clé de contrôle"),
        "path traversal": (_zip(traversal), "chemin dangereux"),
        "xml entities": (_zip(entity), "DOCTYPE"),
        "zip bomb": (_zip({**good, "IHE_XDM/SUBSET01/BOMB.XML": b"\0" * (30 * 1024 * 1024)}),
                     "bombe de décompression"),
        "windows drive path": (_zip({**good, "C:\\Windows\\win.ini": b"x"}), "chemin dangereux"),
        "windows drive-relative path": (_zip({**good, "c:win.ini": b"x"}), "chemin dangereux"),
        "windows UNC path": (_zip({**good, "\\\\serveur\\partage\\x.xml": b"x"}),
                             "chemin dangereux"),
        "CR LF in a member name": (_zip({**good, "IHE_XDM/A\r\n250 2.0.0 Message remis": b"x"}),
                                   "chemin dangereux"),
    }


@pytest.mark.parametrize("case", sorted(_bad_packages()))
def test_bad_package_is_refused_by_the_reader(case):
    data, reason = _bad_packages()[case]
    with pytest.raises(xdm.XdmError) as caught:
        xdm.open_xdm(data)
    assert reason in str(caught.value)


@pytest.mark.parametrize("case", sorted(_bad_packages()))
def test_bad_package_is_quarantined_over_smtp_and_the_service_keeps_running(world, case):
    from email.message import EmailMessage

    data, reason = _bad_packages()[case]
    sender, to = world.address("medecin"), world.address("pharmacien")
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = sender, to, f"XDM {case}"
    mail["X-MSS-CODECDA"] = "11488-4"
    mail.set_content("Document joint.")
    mail.add_attachment(data, maintype="application", subtype="zip", filename="IHE_XDM.ZIP")
    with world.smtp("medecin") as smtp:
        smtp.mail(sender)
        smtp.rcpt(to)
        code, reply = smtp.data(mail.as_bytes(policy=SMTP))
        assert code == 554, reply
        assert "quarantaine" in reply.decode() and reason in reply.decode()
        smtp.rset()
        smtp.mail(sender)
        smtp.rcpt(to)
        assert smtp.data(message(sender, to, "toujours là"))[0] == 250


def _patient_ins(world) -> str:
    with world.sandbox.store.session() as session:
        patient_id = session.scalar(select(PersonaRow.patient_id).where(
            PersonaRow.tenant == TENANT, PersonaRow.login == "patient"))
        return session.scalar(select(DmpPatientRow.ins).where(
            DmpPatientRow.tenant == TENANT, DmpPatientRow.patient_id == patient_id))


def test_xdm_round_trip_over_smtp_and_imap_then_filed_in_the_dmp(world):
    ins = _patient_ins(world)
    assert ins
    doctor = connect("medecin", url=world.url, tenant=TENANT)
    colleague = connect("medecin2", url=world.url, tenant=TENANT)
    assert doctor.mssante.mode == "smtp"  # the servers run: real SMTP and IMAP
    sent = doctor.mssante.send_document(
        to=colleague.mssante.address, document=PDF, ins=ins, type_code="11488-4",
        class_code="10", title="CR de consultation cardiologie")
    assert sent["destinataires"] == [colleague.mssante.address]
    latest = colleague.mssante.inbox()[-1]
    assert latest.subject == "CR de consultation cardiologie" and not latest.seen
    received = colleague.mssante.read(latest.id)
    assert received.headers["X-MSS-CODECDA"] == "11488-4"
    assert received.headers["X-MSS-INS"] == "O"
    [doc] = received.documents()
    assert (doc.ins, doc.type_code, doc.class_code, doc.pdf) == (ins, "11488-4", "10", PDF)
    [in_dmp] = colleague.mssante.file_to_dmp(latest.id)
    assert colleague.dmp.content(in_dmp.id) == PDF
    with world.sandbox.store.session() as session:  # the trace names the patient by her INS
        traced = [e for e in events.stream(session, TENANT, action="mssante.send", limit=10_000)
                  if e.detail.get("objet") == "CR de consultation cardiologie"][-1]
    assert (traced.detail["documents"], traced.detail["ins"]) == ("11488-4", ins)
