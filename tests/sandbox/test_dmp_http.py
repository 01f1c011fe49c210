"""The DMP against a real uvicorn server on loopback: the notebook client, and 100 concurrent
writers of which every acknowledged document is present exactly once."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import func, select
from test_dmp_world import (  # noqa: F401  (dmp_live_fixture: the `dmp_live` fixture)
    INS_A,
    PASSWORD,
    dmp_live_fixture,
    document,
)

from sandbox.client import AccessDenied, Conflict, InvalidRequest, connect
from sandbox.services.dmp.models import DmpDocumentRow

pytestmark = pytest.mark.xdist_group("dmp-live")


def test_client_over_http(dmp_live):
    _sandbox, server = dmp_live
    medecin = connect("medecin", url=server.url, tenant="t1", password=PASSWORD)
    doc = medecin.dmp.add(INS_A, type="11490-0", title="Lettre de liaison",
                          text="Sortie le 12/01, suivi par le médecin traitant.")
    assert doc.type_code == "11490-0" and doc.class_code == "10" and doc.status == "current"
    assert [d.id for d in medecin.dmp.search(patient=INS_A, type="11490-0",
                                             date_from="2025-01-01")] == [doc.id]
    assert medecin.dmp.search(patient=INS_A, type="11488-4") == []
    assert medecin.dmp.text(doc.id) == "Sortie le 12/01, suivi par le médecin traitant."
    pdf = medecin.dmp.add(INS_A, type="11502-2", title="CR biologie", pdf=b"%PDF-1.7 ...")
    assert medecin.dmp.content(pdf.id) == b"%PDF-1.7 ..."

    new = medecin.dmp.replace(doc.id, text="Version corrigée")
    assert medecin.dmp.read(doc.id).status == "superseded"
    assert medecin.dmp.text(new) == "Version corrigée"
    with pytest.raises(Conflict):
        medecin.dmp.replace(doc.id, text="encore")
    assert medecin.dmp.archive(new.id).archived is True
    assert new.id not in {d.id for d in medecin.dmp.search(patient=INS_A)}

    with pytest.raises(InvalidRequest) as error:
        medecin.dmp.add(INS_A, type="00000-0", title="?", text="?")
    assert "LOINC" in str(error.value)

    other = connect("medecin2", url=server.url, tenant="t1", password=PASSWORD)
    with pytest.raises(AccessDenied) as error:
        other.dmp.search(patient=INS_A)
    assert "équipe de soins" in str(error.value)

    urgent = connect("urgentiste", url=server.url, tenant="t1", password=PASSWORD)
    reason = "Détresse respiratoire, patiente inconsciente"
    found = urgent.dmp.break_glass(patient=INS_A, reason=reason)
    assert {d.id for d in found} == {pdf.id}

    patient = connect("patient", url=server.url, tenant="t1", password=PASSWORD)
    alerts = patient.dmp.alerts()
    assert [(a.professionnel, a.motif) for a in alerts] == [("urgentiste", reason)]
    accesses = patient.dmp.audit()
    assert any(a.who == "medecin2" and a.outcome == "refus" for a in accesses)
    assert any(a.emergency_reason == reason for a in accesses)
    consent = patient.dmp.authorise("doc2")
    assert consent.autorises == ["doc2"]
    assert {d.id for d in other.dmp.search(patient=INS_A)} == {pdf.id}


WRITERS = 100


@pytest.mark.slow
def test_concurrent_writers_every_ack_present_none_twice(dmp_live):
    """100 clients at once; each sends its document twice (a retry after a lost answer) and 20
    of them share a masterIdentifier in pairs (two clients racing on one document)."""
    sandbox, server = dmp_live
    token = httpx.post(f"{server.url}/auth/token", json={
        "tenant": "t1", "login": "medecin", "password": PASSWORD}).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    masters = [f"urn:uuid:{uuid.uuid4()}" for _ in range(WRITERS - 10)]
    plan = masters + masters[:10]  # 10 masterIdentifiers written by two clients each
    start = threading.Barrier(WRITERS)

    def write(i: int) -> list[tuple[str, int, str | None]]:
        master = plan[i]
        body = document(master=master, text=f"Document {master}")
        out = []
        with httpx.Client(base_url=server.url, headers=headers, timeout=120) as client:
            start.wait()
            for _attempt in range(2):
                r = client.post("/dmp/fhir/DocumentReference", json=body)
                out.append((master, r.status_code, r.json().get("id")))
        return out

    with ThreadPoolExecutor(WRITERS) as pool:
        results = [x for batch in pool.map(write, range(WRITERS)) for x in batch]

    statuses = Counter(status for _m, status, _id in results)
    assert set(statuses) <= {200, 201}, statuses
    assert statuses[201] == len(masters)  # exactly one creation per masterIdentifier
    acked: dict[str, set[str]] = {}
    for master, _status, doc_id in results:
        acked.setdefault(master, set()).add(doc_id)
    assert all(len(found) == 1 for found in acked.values())  # every retry got the same id

    with sandbox.store.session() as session:
        rows = session.execute(select(DmpDocumentRow.master_identifier, DmpDocumentRow.id)
                               .where(DmpDocumentRow.tenant == "t1")).all()
        per_master = Counter(m for m, _ in rows)
        assert session.scalar(select(func.count()).select_from(DmpDocumentRow)) == len(masters)
    assert set(per_master) == set(masters) and set(per_master.values()) == {1}
    assert {m: {i} for m, i in rows} == acked
    listed = httpx.get(f"{server.url}/dmp/fhir/DocumentReference",
                       params={"patient.identifier": f"urn:oid:1.2.250.1.213.1.4.10|{INS_A}"},
                       headers=headers, timeout=60).json()
    assert listed["total"] == len(masters)


def test_concurrent_replacements_only_one_wins(dmp_live):
    sandbox, server = dmp_live
    token = httpx.post(f"{server.url}/auth/token", json={
        "tenant": "t1", "login": "medecin", "password": PASSWORD}).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    old = httpx.post(f"{server.url}/dmp/fhir/DocumentReference", headers=headers,
                     json=document(text="v1")).json()
    barrier = threading.Barrier(10)

    def replace(i: int) -> int:
        with httpx.Client(base_url=server.url, headers=headers, timeout=60) as client:
            barrier.wait()
            return client.post("/dmp/fhir/DocumentReference",
                               json=document(replaces=old["id"], text=f"v2-{i}")).status_code

    with ThreadPoolExecutor(10) as pool:
        statuses = Counter(pool.map(replace, range(10)))
    assert statuses == {201: 1, 409: 9}
    with sandbox.store.session() as session:
        current = session.scalars(select(DmpDocumentRow).where(
            DmpDocumentRow.tenant == "t1", DmpDocumentRow.status == "current")).all()
    assert len(current) == 1 and current[0].replaces == old["id"]
