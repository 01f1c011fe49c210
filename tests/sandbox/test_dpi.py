"""The establishment's DPI on the real app (live uvicorn, SQLite then PostgreSQL): census,
orders, administrations, capsule, paper re-entry with duplicates and omissions, the shared
folder encrypted and restored, faults, refusals, events."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from sandbox_helpers import TENANT, assert_outcome, events

from sandbox.client import AccessDenied, Conflict, InvalidRequest
from sandbox.services.dpi import event_names as ev
from sandbox.services.dpi.files import RANSOM_NOTE


@pytest.fixture
def nurse(connect_as):
    return connect_as("infirmier")


def _first_stay(s):
    unit = s.dpi.units()[0]
    return unit, s.dpi.patients(unit.code)[0]


def test_units_census_and_orders(nurse, live):
    units = nurse.dpi.units()
    assert [u.code for u in units] == ["CHIR", "GER", "MED"]
    assert all(u.lits_occupes > 0 for u in units)
    patients = nurse.dpi.patients("MED")
    assert patients and all(p.ins and p.unite == "MED" for p in patients)
    orders = nurse.dpi.orders(patients[0].sejour)
    assert orders and all(o.horaires and o.sejour == patients[0].sejour for o in orders)
    assert_outcome(live.http("infirmier").get("/dpi/unites/NOPE/patients"), 404)


def test_same_seed_same_units_and_patients(seeded, population, tmp_path):
    from sandbox.runtime import Sandbox
    from sandbox.seeding import seed_tenant
    from sandbox.settings import Settings

    def census(sandbox, tenant):
        from sqlalchemy import select

        from sandbox.services.dpi.models import DpiOrder, DpiStay
        with sandbox.store.session() as session:
            stays = [(s.id, s.patient_id, s.ins, tuple(s.allergies)) for s in session.scalars(
                select(DpiStay).where(DpiStay.tenant == tenant).order_by(DpiStay.id))]
            orders = [(o.id, o.drug, tuple(o.times)) for o in session.scalars(
                select(DpiOrder).where(DpiOrder.tenant == tenant).order_by(DpiOrder.id))]
        return stays, orders

    other = Sandbox.open(Settings(db=f"sqlite:///{tmp_path / 'autre.sqlite'}", data_dir=tmp_path))
    try:
        seed_tenant(other, "autre", population)
        assert census(other, "autre") == census(seeded, TENANT)
        assert census(seeded, TENANT)[0]
    finally:
        other.store.dispose()


def test_administration_is_traced_and_refused_to_secretary(nurse, connect_as, seeded):
    _, patient = _first_stay(nurse)
    order = nurse.dpi.orders(patient.sejour)[0]
    done = nurse.dpi.administer(order.id, "refuse", commentaire="Patient nauséeux")
    assert done.statut == "refuse" and done.source == "dpi" and done.infirmier == "infirmier"
    assert done.id in [a.id for a in nurse.dpi.administrations(patient.sejour)]
    recorded = [e for e in events(seeded, TENANT, service="dpi")
                if e.action == ev.ADMINISTRATION_RECORD]
    assert recorded[-1].detail["administration"] == done.id
    assert recorded[-1].patient == patient.patient
    with pytest.raises(AccessDenied):
        connect_as("secretaire").dpi.administer(order.id)
    with pytest.raises(InvalidRequest):
        nurse.dpi.administer("SEJ-XXX-99-P1")


def test_capsule_html_and_csv(nurse, seeded):
    html = nurse.dpi.capsule("GER").decode()
    patients = nurse.dpi.patients("GER")
    assert "Capsule de continuité" in html
    for p in patients:
        assert p.ins in html and p.nom_naissance in html
        assert f"F-GER-{p.lit}" in html
    rows = list(csv.DictReader(io.StringIO(nurse.dpi.capsule("GER", "csv").decode()),
                               delimiter=";"))
    assert rows and {r["sejour"] for r in rows} <= {p.sejour for p in patients}
    assert all(r["ins"] and r["prescription"] and r["prise_prevue"] for r in rows)
    exports = [e for e in events(seeded, TENANT, service="dpi") if e.action == ev.CAPSULE_EXPORT]
    assert [e.detail["format"] for e in exports[-2:]] == ["html", "csv"]


def test_capsule_pdf(nurse):
    pdf = nurse.dpi.capsule("MED", "pdf")
    assert pdf.startswith(b"%PDF")


def test_reentry_duplicates_and_omissions(nurse, seeded):
    patients = nurse.dpi.patients("CHIR")
    # A day that ends 30 h ago: the other tests' doses given now belong to a due dose at most
    # 12 h away (the nearest one), so none of them falls in this period, whatever the hour.
    start = seeded.clock.now().replace(microsecond=0) - timedelta(hours=54)
    end = start + timedelta(hours=24)
    before = nurse.dpi.reconciliation(start, end, unite="CHIR")
    assert before.prises_prevues > 0 and len(before.omissions) == before.prises_prevues
    assert not before.doublons
    # The team gives every due dose on paper; one of them is also typed in the DPI.
    lines = [{"prescription": o.prescription, "patient": _ins(patients, o.sejour),
              "medicament": o.medicament, "dose": "1", "heure": o.prise_prevue,
              "infirmier": "IDE de nuit"} for o in before.omissions]
    forgotten = lines.pop()  # and one dose is forgotten
    nurse.dpi.administer(lines[0]["prescription"], heure=lines[0]["heure"])
    answer = nurse.dpi.reentry("F-CHIR-0001", lines)
    assert len(answer.saisies) == len(lines)
    assert [d.prescription for d in answer.doublons] == [lines[0]["prescription"]]
    after = nurse.dpi.reconciliation(start, end, unite="CHIR")
    assert [(o.prescription, o.prise_prevue) for o in after.omissions] == [
        (forgotten["prescription"], forgotten["heure"])]
    assert len(after.doublons) == 1 and len(after.doublons[0].administrations) == 2
    with pytest.raises(Conflict):
        nurse.dpi.reentry("F-CHIR-0001", lines)
    reentries = [e for e in events(seeded, TENANT, service="dpi") if e.action == ev.REENTRY]
    assert reentries[-1].detail["formulaire"] == "F-CHIR-0001"
    assert reentries[-1].detail["doublons"] == 1


def _ins(patients, stay):
    return next(p.ins for p in patients if p.sejour == stay)


def test_reentry_catches_identity_mixup(nurse, live):
    first, second = nurse.dpi.patients("MED")[:2]
    order = nurse.dpi.orders(first.sejour)[0]
    line = {"prescription": order.id, "patient": second.ins, "medicament": order.medicament,
            "dose": "1", "heure": datetime.now(UTC).isoformat(), "infirmier": "IDE"}
    text = assert_outcome(live.http("infirmier").post(
        "/dpi/ressaisie", json={"formulaire": "F-MED-0009", "lignes": [line]}), 400)
    assert "identité" in text
    assert not [a for a in nurse.dpi.administrations(first.sejour) if a.formulaire]


def test_shared_files_encrypted_then_restored(connect_as, nurse, seeded, live):
    facilitator = connect_as("facilitateur")
    plain = {f.nom: nurse.dpi.read_file(f.nom) for f in nurse.dpi.files()}
    with pytest.raises(AccessDenied):
        nurse.dpi.encrypt_files()
    locked = facilitator.dpi.encrypt_files()
    assert sorted(locked) == sorted(name + ".lockbit" for name in plain)
    listing = {f.nom: f for f in nurse.dpi.files()}
    assert RANSOM_NOTE in listing and all(listing[n].chiffre for n in locked)
    for name in locked:
        assert nurse.dpi.read_file(name) != plain[name.removesuffix(".lockbit")]
    assert facilitator.dpi.encrypt_files() == []
    restored = facilitator.dpi.restore_files()
    assert sorted(restored) == sorted(plain)
    assert {f.nom: nurse.dpi.read_file(f.nom) for f in nurse.dpi.files()} == plain
    actions = [e.action for e in events(seeded, TENANT, service="dpi")]
    assert ev.FILES_ENCRYPTED in actions and ev.FILES_RESTORED in actions


def test_dpi_faults(connect_as, nurse, live):
    facilitator = connect_as("facilitateur")
    facilitator.admin.fault("dpi", "indisponible")
    try:
        assert_outcome(live.http("infirmier").get("/dpi/unites"), 503)
    finally:
        facilitator.admin.clear("dpi")
    assert nurse.dpi.units()


def test_bad_reconciliation_period(live):
    raw = live.http("infirmier")
    assert_outcome(raw.get("/dpi/rapprochement",
                           params={"debut": "2026-01-02T00:00:00Z", "fin": "2026-01-01T00:00:00Z"}),
                   400)
    assert_outcome(raw.get("/dpi/rapprochement", params={"debut": "pas-une-date"}), 400)
