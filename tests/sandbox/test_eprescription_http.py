"""E-prescription against a real uvicorn server: the notebook client, and concurrent races
(double dispensing, two pharmacies scanning the same QR) where exactly one request wins."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import select
from test_dmp_world import (  # noqa: F401  (dmp_live_fixture: the `dmp_live` fixture)
    INS_A,
    PASSWORD,
    dmp_live_fixture,
)

from sandbox.client import AccessDenied, Conflict, Gone, connect
from sandbox.services.eprescription import numbers
from sandbox.services.eprescription.models import ErxDispenseRow, ErxLineRow

pytestmark = pytest.mark.xdist_group("dmp-live")
LINE = {"drug": "AMOXICILLINE 1 g cp", "atc": "J01CA04", "dosage": "1 cp 3 fois par jour",
        "quantity": 1, "duration_days": 6}


def token(server, login: str) -> dict:
    r = httpx.post(f"{server.url}/auth/token",
                   json={"tenant": "t1", "login": login, "password": PASSWORD})
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def race(server, calls: list[tuple[dict, str, dict]]) -> list[int]:
    """Fire the (headers, path, json) POSTs at once; their statuses."""
    barrier = threading.Barrier(len(calls))

    def one(call):
        headers, path, body = call
        with httpx.Client(base_url=server.url, headers=headers, timeout=60) as client:
            barrier.wait()
            return client.post(path, json=body).status_code

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(one, calls))


def test_client_lifecycle_over_http(dmp_live):
    _sandbox, server = dmp_live
    doctor = connect("medecin", url=server.url, tenant="t1", password=PASSWORD)
    p = doctor.eprescription.create(INS_A, lines=[LINE, {**LINE, "drug": "IBUPROFENE 400 mg",
                                                         "atc": "M01AE01", "quantity": 2}])
    assert p.status == "active" and len(p.lines) == 2 and p.qr.endswith(p.number)
    assert doctor.eprescription.qr_png(p.number).startswith(b"\x89PNG")

    pharmacy = connect("pharmacien", url=server.url, tenant="t1", password=PASSWORD)
    scanned = pharmacy.eprescription.scan(p.qr)
    assert scanned.pharmacy == "pharmacien" and scanned.lines[1].remaining == 2
    assert pharmacy.eprescription.dispense(p.number, line=2, quantity=1).status == \
        "partially-dispensed"
    with pytest.raises(Conflict):
        pharmacy.eprescription.dispense(p.number, line=1, quantity=2)
    other = connect("pharmacien2", url=server.url, tenant="t1", password=PASSWORD)
    with pytest.raises(Conflict):
        other.eprescription.get(p.number)
    with pytest.raises(AccessDenied):
        pharmacy.eprescription.cancel(p.number)
    cancelled = doctor.eprescription.cancel(p.number, reason="Changement de traitement")
    assert cancelled.status == "cancelled"
    with pytest.raises(Gone):
        pharmacy.eprescription.dispense(p.number, line=1, quantity=1)
    patient = connect("patient", url=server.url, tenant="t1", password=PASSWORD)
    assert [x.number for x in patient.eprescription.list()] == [p.number]


def test_concurrent_double_dispense_only_one_wins(dmp_live):
    sandbox, server = dmp_live
    doctor, pharmacy = token(server, "medecin"), token(server, "pharmacien")
    created = httpx.post(f"{server.url}/eprescription/prescriptions", headers=doctor, json={
        "patient": INS_A, "lignes": [{"medicament": "AMOXICILLINE 1 g cp",
                                      "posologie": "1 cp 3 fois par jour", "quantite": 1,
                                      "duree_jours": 6}]}).json()
    number = created["numero"]
    path = f"/eprescription/prescriptions/{number}/dispense"
    statuses = race(server, [(pharmacy, path, {"ligne": 1, "quantite": 1})] * 12)
    assert Counter(statuses) == {200: 1, 409: 11}
    with sandbox.store.session() as session:
        key = numbers.parse(number)
        assert session.get(ErxLineRow, ("t1", key, 1)).dispensed == 1
        assert len(session.scalars(select(ErxDispenseRow).where(
            ErxDispenseRow.number == key)).all()) == 1


def test_two_pharmacies_racing_on_one_qr_only_one_gets_it(dmp_live):
    _sandbox, server = dmp_live
    doctor = token(server, "medecin")
    first, second = token(server, "pharmacien"), token(server, "pharmacien2")
    for _ in range(3):
        created = httpx.post(f"{server.url}/eprescription/prescriptions", headers=doctor, json={
            "patient": INS_A, "lignes": [{"medicament": "PARACETAMOL 1 g", "posologie": "si besoin",
                                          "quantite": 1, "duree_jours": 3}]}).json()
        calls = [(first, "/eprescription/scan", {"code": created["qr"]}),
                 (second, "/eprescription/scan", {"code": created["qr"]})] * 4
        statuses = race(server, calls)
        winners = {i % 2 for i, s in enumerate(statuses) if s == 200}
        assert len(winners) == 1  # one pharmacy (scanning it again is fine), never both
        assert Counter(statuses)[409] == 4
