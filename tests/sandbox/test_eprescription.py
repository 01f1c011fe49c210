"""E-prescription over HTTP (in-process): number, QR, lifecycle, single use, refusals, events."""

from __future__ import annotations

import pytest
from test_dmp_world import INS_A, INS_B, INS_RECUP, World, world_fixture  # noqa: F401

from sandbox import events
from sandbox.services.eprescription import numbers
from synthetic_data.fhir_models import model_class

ERX = "/eprescription"
LINES = [
    {"medicament": "METFORMINE 1000 mg cp", "atc": "A10BA02", "posologie": "1 cp matin et soir",
     "quantite": 2, "duree_jours": 60},
    {"medicament": "PARACETAMOL 1 g cp", "posologie": "1 cp si douleur, 4 par jour au plus",
     "quantite": 1, "duree_jours": 5},
]


def diagnostics(response) -> str:
    body = response.json()
    assert body["resourceType"] == "OperationOutcome", body
    return body["issue"][0]["diagnostics"]


def prescribe(w: World, login: str = "medecin", patient: str = INS_A, lines=None,
              **extra) -> dict:
    r = w.http.post(f"{ERX}/prescriptions", json={"patient": patient, "lignes": lines or LINES},
                    headers=w.as_(login), **extra)
    assert r.status_code == 201, r.text
    return r.json()


def dispense(w: World, number: str, line: int, quantity: int, login: str = "pharmacien"):
    return w.http.post(f"{ERX}/prescriptions/{number}/dispense",
                       json={"ligne": line, "quantite": quantity}, headers=w.as_(login))


def test_number_format_and_check_character():
    seen = {numbers.new_number() for _ in range(500)}
    assert len(seen) == 500
    for number in seen:
        assert len(number) == 16 and numbers.parse(numbers.display(number)) == number
        assert numbers.parse(numbers.qr_payload(number)) == number
        assert numbers.parse(number.lower()) == number
    number = next(iter(seen))
    wrong = number[:3] + ("0" if number[3] != "0" else "1") + number[4:]
    with pytest.raises(Exception, match="contrôle"):
        numbers.parse(wrong)
    with pytest.raises(Exception, match="16 caractères"):
        numbers.parse("ABC")


def test_lifecycle_active_partial_completed(world):
    p = prescribe(world)
    assert p["statut"] == "active" and p["ins"] == INS_A and p["patient"] == "pat-a"
    assert p["qr"] == numbers.qr_payload(numbers.parse(p["numero"]))
    assert [(x["ligne"], x["reste"]) for x in p["lignes"]] == [(1, 2), (2, 1)]

    scanned = world.http.post(f"{ERX}/scan", json={"code": p["qr"]},
                              headers=world.as_("pharmacien"))
    assert scanned.status_code == 200 and scanned.json()["officine"] == "pharmacien"
    r = dispense(world, p["numero"], 1, 1)
    assert r.json()["statut"] == "partially-dispensed"
    assert r.json()["lignes"][0]["delivre"] == 1
    r = dispense(world, p["numero"], 2, 1)
    assert r.json()["statut"] == "partially-dispensed"
    r = dispense(world, p["numero"], 1, 1)
    body = r.json()
    assert body["statut"] == "completed"
    assert [(d["ligne"], d["quantite"]) for d in body["delivrances"]] == [(1, 1), (2, 1), (1, 1)]
    # completed: the QR is deactivated for everyone
    r = world.http.post(f"{ERX}/scan", json={"code": p["qr"]}, headers=world.as_("pharmacien"))
    assert r.status_code == 410 and "désactivé" in diagnostics(r)
    # prescriber and patient still read it
    for login in ("medecin", "patient"):
        r = world.http.get(f"{ERX}/prescriptions/{p['numero']}", headers=world.as_(login))
        assert r.status_code == 200 and r.json()["statut"] == "completed"


def test_double_dispense_refused(world):
    p = prescribe(world)
    assert dispense(world, p["numero"], 2, 1).status_code == 200
    r = dispense(world, p["numero"], 2, 1)
    assert r.status_code == 409 and "double délivrance" in diagnostics(r)
    r = dispense(world, p["numero"], 1, 3)
    assert r.status_code == 409 and "il reste 2" in diagnostics(r)
    r = dispense(world, p["numero"], 9, 1)
    assert r.status_code == 400 and "Ligne 9" in diagnostics(r)
    got = world.http.get(f"{ERX}/prescriptions/{p['numero']}", headers=world.as_("medecin"))
    assert [x["delivre"] for x in got.json()["lignes"]] == [0, 1]


def test_qr_is_single_use_across_pharmacies(world):
    p = prescribe(world)
    first = world.http.get(f"{ERX}/prescriptions/{p['numero']}", headers=world.as_("pharmacien"))
    assert first.status_code == 200
    again = world.http.post(f"{ERX}/scan", json={"code": p["qr"]},
                            headers=world.as_("pharmacien"))
    assert again.status_code == 200  # the same officine comes back to finish
    other = world.http.post(f"{ERX}/scan", json={"code": p["qr"]},
                            headers=world.as_("pharmacien2"))
    assert other.status_code == 409 and "usage unique" in diagnostics(other)
    r = dispense(world, p["numero"], 1, 1, login="pharmacien2")
    assert r.status_code == 409


def test_cancel_by_prescriber_only(world):
    p = prescribe(world)
    r = world.http.post(f"{ERX}/prescriptions/{p['numero']}/cancel", json={"motif": "erreur"},
                        headers=world.as_("medecin2"))
    assert r.status_code == 403
    r = world.http.post(f"{ERX}/prescriptions/{p['numero']}/cancel", headers=world.as_("pharmacien"))
    assert r.status_code == 403
    r = world.http.post(f"{ERX}/prescriptions/{p['numero']}/cancel",
                        json={"motif": "Allergie découverte"}, headers=world.as_("medecin"))
    assert r.status_code == 200
    assert r.json()["statut"] == "cancelled" and r.json()["motif_annulation"] == "Allergie découverte"
    r = dispense(world, p["numero"], 1, 1)
    assert r.status_code == 410
    r = world.http.post(f"{ERX}/prescriptions/{p['numero']}/cancel", headers=world.as_("medecin"))
    assert r.status_code == 409


def test_partially_dispensed_can_be_cancelled_completed_cannot(world):
    p = prescribe(world, lines=[LINES[1]])
    dispense(world, p["numero"], 1, 1)
    r = world.http.post(f"{ERX}/prescriptions/{p['numero']}/cancel", headers=world.as_("medecin"))
    assert r.status_code == 409 and "entièrement délivrée" in diagnostics(r)
    q = prescribe(world)
    dispense(world, q["numero"], 1, 1)
    r = world.http.post(f"{ERX}/prescriptions/{q['numero']}/cancel", headers=world.as_("medecin"))
    assert r.status_code == 200 and r.json()["statut"] == "cancelled"


@pytest.mark.parametrize(("login", "status"), [
    ("medecin", 201), ("sage-femme", 201), ("pharmacien", 403), ("infirmier", 403),
    ("patient", 403), ("secretaire", 403),
])
def test_who_prescribes(world, login, status):
    r = world.http.post(f"{ERX}/prescriptions", json={"patient": INS_A, "lignes": LINES},
                        headers=world.as_(login))
    assert r.status_code == status, r.text


def test_patient_identity_must_be_qualified(world):
    r = world.http.post(f"{ERX}/prescriptions", json={"patient": INS_RECUP, "lignes": LINES},
                        headers=world.as_("medecin"))
    assert r.status_code == 422 and "qualifiée" in diagnostics(r)
    r = world.http.post(f"{ERX}/prescriptions", json={"patient": "123", "lignes": LINES},
                        headers=world.as_("medecin"))
    assert r.status_code == 400


@pytest.mark.parametrize(("line", "fragment"), [
    ({**LINES[0], "quantite": 0}, "quantite"),
    ({**LINES[0], "atc": "METFORMINE"}, "ATC"),
    ({k: v for k, v in LINES[0].items() if k != "posologie"}, "posologie"),
    ({**LINES[0], "couleur": "bleu"}, "couleur"),
])
def test_malformed_lines_are_400_in_french(world, line, fragment):
    r = world.http.post(f"{ERX}/prescriptions", json={"patient": INS_A, "lignes": [line]},
                        headers=world.as_("medecin"))
    assert r.status_code == 400 and fragment in diagnostics(r)


def test_reading_rights(world):
    p = prescribe(world)
    url = f"{ERX}/prescriptions/{p['numero']}"
    assert world.http.get(url, headers=world.as_("patient")).status_code == 200
    assert world.http.get(url, headers=world.as_("patient-b")).status_code == 403
    assert world.http.get(url, headers=world.as_("medecin2")).status_code == 403
    assert world.http.get(url, headers=world.as_("infirmier")).status_code == 403
    assert world.http.get(url, headers=world.as_("medecin", "t2")).status_code == 404
    r = world.http.get(f"{ERX}/prescriptions/{p['numero'][:-1]}Z", headers=world.as_("medecin"))
    assert r.status_code in (400, 404)


def test_qr_png_for_patient_and_prescriber(world):
    p = prescribe(world)
    for login in ("patient", "medecin"):
        r = world.http.get(f"{ERX}/prescriptions/{p['numero']}/qr.png", headers=world.as_(login))
        assert r.status_code == 200 and r.headers["content-type"] == "image/png"
        assert r.content.startswith(b"\x89PNG")
    r = world.http.get(f"{ERX}/prescriptions/{p['numero']}/qr.png",
                       headers=world.as_("pharmacien"))
    assert r.status_code == 403


def test_idempotency_key_creates_once(world):
    key = {"headers": {**world.as_("medecin"), "Idempotency-Key": "ordo-42"}}
    first = world.http.post(f"{ERX}/prescriptions", json={"patient": INS_B, "lignes": LINES},
                            **key)
    again = world.http.post(f"{ERX}/prescriptions", json={"patient": INS_B, "lignes": LINES},
                            **key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["numero"] == again.json()["numero"]
    listed = world.http.get(f"{ERX}/prescriptions", headers=world.as_("medecin")).json()
    assert [x["numero"] for x in listed] == [first.json()["numero"]]


def test_every_action_is_an_event(world):
    p = prescribe(world)
    world.http.post(f"{ERX}/scan", json={"code": p["qr"]}, headers=world.as_("pharmacien"))
    dispense(world, p["numero"], 2, 1)
    dispense(world, p["numero"], 2, 1)  # refused
    world.http.post(f"{ERX}/scan", json={"code": p["qr"]}, headers=world.as_("pharmacien2"))
    world.http.post(f"{ERX}/prescriptions/{p['numero']}/cancel", headers=world.as_("medecin"))
    with world.sandbox.store.session() as session:
        rows = events.stream(session, "t1", service="eprescription")
        seen = [(r.action, r.persona, r.outcome) for r in rows]
        assert all(r.patient == "pat-a" for r in rows)
    assert seen == [
        ("erx.create", "medecin", "success"),
        ("erx.scan", "pharmacien", "success"),
        ("erx.read", "pharmacien", "success"),
        ("erx.dispense", "pharmacien", "success"),
        ("erx.dispense", "pharmacien", "refused"),
        ("erx.read", "pharmacien2", "refused"),
        ("erx.cancel", "medecin", "success"),
    ]


def test_fhir_view_is_valid_r4b(world):
    p = prescribe(world)
    dispense(world, p["numero"], 2, 1)
    r = world.http.get(f"{ERX}/prescriptions/{p['numero']}/fhir", headers=world.as_("medecin"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/fhir+json")
    model_class("Bundle").model_validate(r.json())
    resources = [e["resource"] for e in r.json()["entry"]]
    requests = [x for x in resources if x["resourceType"] == "MedicationRequest"]
    dispenses = [x for x in resources if x["resourceType"] == "MedicationDispense"]
    assert [x["status"] for x in requests] == ["active", "completed"]
    assert {x["groupIdentifier"]["value"] for x in requests} == {p["numero"]}
    assert requests[0]["medicationCodeableConcept"]["coding"][0]["code"] == "A10BA02"
    second_line_url = r.json()["entry"][1]["fullUrl"]
    assert [(x["quantity"]["value"], x["authorizingPrescription"][0]["reference"])
            for x in dispenses] == [(1, second_line_url)]
    assert world.http.get(f"{ERX}/prescriptions/{p['numero']}/fhir",
                          headers=world.as_("medecin2")).status_code == 403


def test_ordonnance_is_filed_in_the_dmp(world):
    p = prescribe(world)
    assert p["document_dmp"]
    found = world.http.get("/dmp/fhir/DocumentReference?type=57833-6",
                           headers=world.as_("patient")).json()
    assert [e["resource"]["id"] for e in found["entry"]] == [p["document_dmp"]]
    doc = found["entry"][0]["resource"]
    assert doc["category"][0]["coding"][0]["code"] == "42"
    text = world.http.get(f"/dmp/fhir/{doc['content'][0]['attachment']['url']}",
                          headers={**world.as_("patient"), "Accept": "text/plain"}).text
    assert p["numero"] in text and "METFORMINE 1000 mg cp (ATC A10BA02)" in text
    accesses = world.http.get("/dmp/fhir/AuditEvent", headers=world.as_("patient")).json()
    assert any(e["resource"]["agent"][0]["who"]["display"] == "medecin"
               and e["resource"]["action"] == "C" for e in accesses["entry"])


def test_closed_dmp_gets_no_ordonnance_but_the_prescription_stands(world):
    world.http.post("/dmp/consent", json={"decision": "opposer", "motif": "Refus du DMP"},
                    headers=world.as_("patient"))
    p = prescribe(world)
    assert p["document_dmp"] is None and p["statut"] == "active"
    assert p["versement_dmp"] == "non déposée : le patient a fermé son DMP"


def test_dmp_down_gets_no_ordonnance_but_the_prescription_stands(world):
    """A drill's DMP outage also holds for the deposit the e-prescription makes in-process."""
    down = world.http.put("/admin/faults/dmp", json={"mode": "indisponible"},
                          headers=world.as_("facilitateur"))
    assert down.status_code == 200, down.text
    p = prescribe(world)
    assert p["document_dmp"] is None and p["statut"] == "active"
    assert p["versement_dmp"].startswith("non déposée : DMP indisponible")
    catch_up = f"{ERX}/prescriptions/{p['numero']}/versement-dmp"
    still_down = world.http.post(catch_up, headers=world.as_("medecin"))
    assert still_down.status_code == 503 and "indisponible" in still_down.text
    assert world.http.delete("/admin/faults/dmp",
                             headers=world.as_("facilitateur")).status_code == 204
    again = world.http.get(f"{ERX}/prescriptions/{p['numero']}", headers=world.as_("medecin"))
    assert again.json()["versement_dmp"] == p["versement_dmp"]
    filed = prescribe(world)
    assert filed["document_dmp"] and filed["versement_dmp"] == "déposée dans le DMP du patient"

    # Once the DMP is back, the prescriber (only) files what the outage kept out, once.
    assert world.http.post(catch_up, headers=world.as_("medecin2")).status_code == 403
    late = world.http.post(catch_up, headers=world.as_("medecin"))
    assert late.status_code == 200, late.text
    assert late.json()["versement_dmp"] == "déposée dans le DMP du patient"
    assert world.http.post(catch_up, headers=world.as_("medecin")).json() == late.json()
    found = world.http.get("/dmp/fhir/DocumentReference?type=57833-6",
                           headers=world.as_("patient")).json()
    assert sorted(e["resource"]["id"] for e in found["entry"]) == sorted(
        [filed["document_dmp"], late.json()["document_dmp"]])
    content = found["entry"][0]["resource"]["content"][0]["attachment"]["url"]
    assert world.http.get(f"/dmp/fhir/{content}", headers=world.as_("patient")).status_code == 200


def test_dispensing_a_completed_prescription_is_a_double_dispense(world):
    p = prescribe(world, lines=[LINES[1]])
    assert dispense(world, p["numero"], 1, 1).json()["statut"] == "completed"
    r = dispense(world, p["numero"], 1, 1)
    assert r.status_code == 409 and "double délivrance" in diagnostics(r)
