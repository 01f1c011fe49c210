"""DMP rules over HTTP (in-process ASGI): feeding, codes, consent, masking, bris de glace, audit."""

from __future__ import annotations

import base64

import pytest
from test_dmp_world import (  # noqa: F401  (world_fixture: the `world` fixture)
    INS_A,
    INS_B,
    INS_RECUP,
    LOINC,
    World,
    document,
    world_fixture,
)

from synthetic_data.fhir_models import model_class
from synthetic_data.nir import OID_INS_NIR, OID_INS_TEST

DOCS = "/dmp/fhir/DocumentReference"


def search_url(ins: str = INS_A, **params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{DOCS}?patient.identifier={OID_INS_TEST}|{ins}" + (f"&{query}" if query else "")


def add(w: World, login: str = "medecin", tenant: str = "t1", **kwargs) -> dict:
    r = w.http.post(DOCS, json=document(**kwargs), headers=w.as_(login, tenant))
    assert r.status_code == 201, r.text
    return r.json()


def diagnostics(response) -> str:
    body = response.json()
    assert body["resourceType"] == "OperationOutcome", body
    return body["issue"][0]["diagnostics"]


def ids(bundle_response) -> set[str]:
    assert bundle_response.status_code == 200, bundle_response.text
    return {e["resource"]["id"] for e in bundle_response.json()["entry"]}


def audit_events(w: World, login: str = "patient") -> list[dict]:
    r = w.http.get("/dmp/fhir/AuditEvent", headers=w.as_(login))
    assert r.status_code == 200, r.text
    return [e["resource"] for e in r.json()["entry"]]


# --- provide, read, retrieve, search ------------------------------------------------------


def test_provide_read_retrieve_roundtrip(world):
    doc = add(world, text="Compte rendu de consultation : tension 13/8.")
    model_class("DocumentReference").model_validate(doc)
    assert doc["status"] == "current"
    assert doc["category"][0]["coding"][0]["code"] == "10"  # derived from the LOINC type
    assert doc["subject"]["identifier"]["value"] == INS_A
    read = world.http.get(f"{DOCS}/{doc['id']}", headers=world.as_("medecin"))
    assert read.status_code == 200 and read.json()["id"] == doc["id"]
    binary_url = doc["content"][0]["attachment"]["url"]
    content = world.http.get(f"/dmp/fhir/{binary_url}", headers={**world.as_("medecin"),
                                                                  "Accept": "text/plain"})
    assert content.status_code == 200
    assert content.content.decode() == "Compte rendu de consultation : tension 13/8."
    as_fhir = world.http.get(f"/dmp/fhir/{binary_url}", headers={
        **world.as_("medecin"), "Accept": "application/fhir+json"})
    assert base64.b64decode(as_fhir.json()["data"]) == content.content


def test_iti65_transaction_bundle_with_binary(world):
    resource = document(text="ignored")
    del resource["content"][0]["attachment"]["data"]
    resource["content"][0]["attachment"]["url"] = "urn:uuid:bin-1"
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": "urn:uuid:doc-1", "resource": resource,
         "request": {"method": "POST", "url": "DocumentReference"}},
        {"fullUrl": "urn:uuid:bin-1", "request": {"method": "POST", "url": "Binary"},
         "resource": {"resourceType": "Binary", "contentType": "text/plain",
                      "data": base64.b64encode(b"Lettre de liaison").decode()}},
    ]}
    r = world.http.post("/dmp/fhir", json=bundle, headers=world.as_("medecin"))
    assert r.status_code == 200, r.text
    model_class("Bundle").model_validate(r.json())
    entry = r.json()["entry"][0]
    assert entry["response"]["status"] == "201 Created"
    url = entry["resource"]["content"][0]["attachment"]["url"]
    assert world.http.get(f"/dmp/fhir/{url}", headers={**world.as_("medecin"), "Accept": "*/*"}
                          ).content == b"Lettre de liaison"
    bad = dict(bundle, type="batch")
    assert world.http.post("/dmp/fhir", json=bad, headers=world.as_("medecin")).status_code == 400


def test_search_filters(world):
    consult = add(world, type_code="11488-4")
    letter = add(world, type_code="11490-0")
    other_author = add(world, "medecin2", type_code="11490-0")
    add(world, patient_ins=INS_B, type_code="11490-0")  # another patient: never returned
    h = world.as_("medecin")
    assert ids(world.http.get(search_url(), headers=h)) == {
        consult["id"], letter["id"], other_author["id"]}
    assert ids(world.http.get(search_url(type=f"{LOINC}|11490-0"), headers=h)) == {
        letter["id"], other_author["id"]}
    assert ids(world.http.get(search_url(type="11490-0", author="Practitioner/gp1"),
                              headers=h)) == {letter["id"]}
    assert ids(world.http.get(search_url(date="ge2026-01-10", status="current"), headers=h)) == {
        consult["id"], letter["id"], other_author["id"]}
    assert ids(world.http.get(search_url(date="lt2026-01-10"), headers=h)) == set()
    assert ids(world.http.get(search_url(date="eq2026-01-10"), headers=h)) != set()


def test_search_pages_with_count_and_offset(world):
    made = {add(world, text=f"n°{i}")["id"] for i in range(23)}
    h = world.as_("medecin")
    first = world.http.get(search_url(), headers=h).json()
    assert first["total"] == 23 and len(first["entry"]) == 20
    assert any(link["relation"] == "next" for link in first["link"])
    rest = world.http.get(search_url(_count="5", _offset="20"), headers=h).json()
    assert len(rest["entry"]) == 3
    assert {e["resource"]["id"] for e in first["entry"] + rest["entry"]} == made


@pytest.mark.parametrize(("query", "fragment"), [
    ("patient.identifier=urn:oid:1.2.250.1.213.1.4.10|279035121518989&foo=1", "inconnu"),
    ("type=11488-4", "patient.identifier"),
    ("patient.identifier=urn:oid:1.2.250.1.213.1.4.10|279035121518989&date=ge2025-13-45",
     "date"),
    ("patient.identifier=urn:oid:1.2.250.1.213.1.4.10|279035121518989&status=draft", "status"),
    ("patient.identifier=urn:oid:1.2.250.1.213.1.4.10|279035121518989&type=12345-6", "12345-6"),
    ("patient.identifier=urn:oid:1.2.250.1.213.1.4.10|279035121518989&type=", "vide"),
    ("patient.identifier=urn:oid:1.2.250.1.213.1.4.10|279035121518988", "clé de contrôle"),
])
def test_malformed_search_is_400_in_french(world, query, fragment):
    r = world.http.get(f"{DOCS}?{query}", headers=world.as_("medecin"))
    assert r.status_code == 400
    assert fragment in diagnostics(r)


def test_unauthenticated_is_401_outcome(world):
    r = world.http.get(search_url())
    assert r.status_code == 401
    assert "Authorization" in diagnostics(r)


# --- invalid FHIR, unknown codes, wrong resource type --------------------------------------


def mutate(**changes) -> dict:
    resource = document()
    for key, value in changes.items():
        if value is None:
            resource.pop(key, None)
        else:
            resource[key] = value
    return resource


@pytest.mark.parametrize(("resource", "fragment"), [
    (mutate(date="le 10 janvier"), "date"),
    (mutate(foo="bar"), "foo"),
    (mutate(content=[{"attachment": {"contentType": "text/plain", "data": "pas du base64!"}}]),
     "attachment.data"),
    (mutate(content=None), "content"),
    (mutate(subject={"display": "Claire Martin"}), "INS"),
    (mutate(resourceType="Patient"), "resourceType"),
    (mutate(status="superseded"), "status"),
    (mutate(type={"coding": [{"system": LOINC, "code": "99999-9"}]}), "99999-9"),
    (mutate(type={"coding": [{"system": "http://snomed.info/sct", "code": "371531000"}]}),
     "LOINC"),
    (mutate(category=[{"coding": [{"system": "urn:oid:1.2.250.1.213.1.1.4.1", "code": "77"}]}]),
     "J57"),
    (mutate(securityLabel=[{"coding": [{"system": "urn:oid:1.2.250.1.213.1.1.4.13",
                                        "code": "SECRET"}]}]), "SECRET"),
    (mutate(content=[{"attachment": {"contentType": "text/plain", "data": "YQ=="},
                      "format": {"code": "urn:exemple:format-maison"}}]), "formatCode"),
    (mutate(content=[{"attachment": {"contentType": "application/pdf", "data": "YWJj"}}]),
     "PDF"),
    (mutate(content=[{"attachment": {"contentType": "application/pdf", "data": "YWJj"},
                      "format": {"code": "urn:ihe:lab:xd-lab:2008"}}]), "n'accepte pas"),
])
def test_invalid_document_is_400_naming_the_field(world, resource, fragment):
    r = world.http.post(DOCS, json=resource, headers=world.as_("medecin"))
    assert r.status_code == 400, r.text
    assert fragment in diagnostics(r)


def test_not_json_and_wrong_resource_type_are_400(world):
    h = {**world.as_("medecin"), "Content-Type": "application/fhir+json"}
    assert world.http.post(DOCS, content=b"{pas du json", headers=h).status_code == 400
    r = world.http.post("/dmp/fhir", json=document(), headers=world.as_("medecin"))
    assert r.status_code == 400 and "Bundle" in diagnostics(r)


def test_pdf_and_level3_formats_accepted(world):
    pdf = add(world, content_type="application/pdf", data=b"%PDF-1.4 minimal")
    assert pdf["content"][0]["format"]["code"] == "urn:ihe:iti:xds-sd:pdf:2008"
    resource = document(type_code="11502-2")
    resource["content"] = [{"attachment": {"contentType": "application/hl7-cda+xml",
                                           "data": base64.b64encode(b"<ClinicalDocument/>").decode()},
                            "format": {"code": "urn:ihe:lab:xd-lab:2008"}}]
    r = world.http.post(DOCS, json=resource, headers=world.as_("medecin"))
    assert r.status_code == 201, r.text


# --- the patient's identity -----------------------------------------------------------------


def test_unknown_ins_is_404(world):
    from test_dmp_world import ins

    r = world.http.post(DOCS, json=document(ins("1010175056999")), headers=world.as_("medecin"))
    assert r.status_code == 404 and "INS" in diagnostics(r)


def test_unqualified_identity_is_refused_with_the_reason(world):
    r = world.http.post(DOCS, json=document(INS_RECUP), headers=world.as_("medecin"))
    assert r.status_code == 422
    assert "qualifiée" in diagnostics(r) and "RECUP" in diagnostics(r)
    r = world.http.post(DOCS, json=mutate(subject={"reference": "Patient/pat-p"}),
                        headers=world.as_("medecin"))
    assert r.status_code == 422 and "PROV" in diagnostics(r)
    r = world.http.get(search_url(INS_RECUP), headers=world.as_("medecin"))
    assert r.status_code == 422


def test_real_ins_oid_is_refused(world):
    resource = mutate(subject={"identifier": {"system": OID_INS_NIR, "value": INS_A}})
    r = world.http.post(DOCS, json=resource, headers=world.as_("medecin"))
    assert r.status_code == 400 and OID_INS_TEST in diagnostics(r)


# --- who may feed ---------------------------------------------------------------------------


@pytest.mark.parametrize(("login", "type_code", "status"), [
    ("secretaire", "11488-4", 403),
    ("etudiant", "11488-4", 403),
    ("facilitateur", "11488-4", 403),
    ("pharmacien", "11488-4", 403),  # class 10: not a pharmacist's document
    ("pharmacien", "60593-1", 201),  # dispensation (class 43)
    ("infirmier", "11488-4", 201),
    ("sage-femme", "11490-0", 201),
    ("patient", "11488-4", 403),  # a patient only deposits class 90
    ("patient", "51855-5", 201),
])
def test_feeding_by_profession_and_class(world, login, type_code, status):
    r = world.http.post(DOCS, json=document(type_code=type_code), headers=world.as_(login))
    assert r.status_code == status, r.text
    if status != 201:
        assert diagnostics(r)


def test_patient_deposits_only_in_own_dmp(world):
    r = world.http.post(DOCS, json=document(INS_B, type_code="51855-5"),
                        headers=world.as_("patient"))
    assert r.status_code == 403


# --- who may consult ------------------------------------------------------------------------


def test_care_team_consent_and_opposition(world):
    doc = add(world)  # by the médecin traitant
    h2 = world.as_("medecin2")
    r = world.http.get(search_url(), headers=h2)
    assert r.status_code == 403 and "équipe de soins" in diagnostics(r)
    assert world.http.get(f"{DOCS}/{doc['id']}", headers=h2).status_code == 403

    patient = world.as_("patient")
    r = world.http.post("/dmp/consent", json={"decision": "autoriser", "professionnel": "doc2"},
                        headers=patient)
    assert r.status_code == 200 and r.json()["autorises"] == ["doc2"]
    assert ids(world.http.get(search_url(), headers=h2)) == {doc["id"]}

    r = world.http.post("/dmp/consent", json={"decision": "opposer", "professionnel": "doc2"},
                        headers=patient)
    assert r.json()["opposes"] == ["doc2"] and r.json()["autorises"] == []
    r = world.http.get(search_url(), headers=h2)
    assert r.status_code == 403 and "opposé" in diagnostics(r)
    r = world.http.get(search_url(), headers={**h2, "X-Bris-De-Glace": "urgence vitale"})
    assert r.status_code == 403  # an opposition holds even in an emergency

    r = world.http.post("/dmp/consent", json={"decision": "lever", "professionnel": "doc2"},
                        headers=patient)
    assert r.json()["opposes"] == []
    assert world.http.get(search_url(), headers=h2).status_code == 403  # back outside the team


def test_authors_join_the_care_team(world):
    assert world.http.get(search_url(), headers=world.as_("infirmier")).status_code == 403
    add(world, "infirmier")
    assert world.http.get(search_url(), headers=world.as_("infirmier")).status_code == 200


def test_profession_sees_only_its_classes(world):
    report = add(world, type_code="18748-4")  # imaging, class 31
    prescription = add(world, type_code="57833-6")  # class 42
    world.http.post("/dmp/consent", json={"decision": "autoriser", "professionnel": "ph1"},
                    headers=world.as_("patient"))
    h = world.as_("pharmacien")
    assert ids(world.http.get(search_url(), headers=h)) == {prescription["id"]}
    r = world.http.get(f"{DOCS}/{report['id']}", headers=h)
    assert r.status_code == 403 and "classe" in diagnostics(r)


def test_consent_endpoints_are_for_the_patient_only(world):
    r = world.http.post("/dmp/consent", json={"decision": "autoriser", "professionnel": "doc2"},
                        headers=world.as_("medecin"))
    assert r.status_code == 403
    r = world.http.post("/dmp/consent", json={"decision": "peut-etre"},
                        headers=world.as_("patient"))
    assert r.status_code == 400


def test_masked_document_visible_to_gp_and_author_only(world):
    masked = add(world, confidentiality="MASQUE_PS")
    normal = add(world)
    world.http.post("/dmp/consent", json={"decision": "autoriser", "professionnel": "doc2"},
                    headers=world.as_("patient"))
    assert ids(world.http.get(search_url(), headers=world.as_("medecin"))) == {
        masked["id"], normal["id"]}
    h2 = world.as_("medecin2")
    assert ids(world.http.get(search_url(), headers=h2)) == {normal["id"]}
    r = world.http.get(f"{DOCS}/{masked['id']}", headers=h2)
    assert r.status_code == 404 and "MASQUE" not in r.text
    binary = masked["content"][0]["attachment"]["url"]
    assert world.http.get(f"/dmp/fhir/{binary}", headers=h2).status_code == 404
    # the author (not the GP) still sees the document they masked
    own = add(world, "medecin2", confidentiality="MASQUE_PS")
    assert own["id"] in ids(world.http.get(search_url(), headers=h2))


def test_patient_masks_her_document_and_shows_it_again(world):
    doc = add(world, "medecin2")  # authored by doc2; the GP is "medecin"
    world.http.post("/dmp/consent", json={"decision": "autoriser", "professionnel": "urg1"},
                    headers=world.as_("patient"))
    urgentiste = world.as_("urgentiste")
    assert doc["id"] in ids(world.http.get(search_url(), headers=urgentiste))

    r = world.http.post(f"{DOCS}/{doc['id']}/$mask", headers=world.as_("patient"))
    assert r.status_code == 200, r.text
    codes = {c["code"] for label in r.json()["securityLabel"] for c in label["coding"]}
    assert "MASQUE_PS" in codes and r.json()["meta"]["versionId"] == "2"
    # hidden from the care team, kept for the author and the médecin traitant
    assert doc["id"] not in ids(world.http.get(search_url(), headers=urgentiste))
    assert world.http.get(f"{DOCS}/{doc['id']}", headers=urgentiste).status_code == 404
    for author_or_gp in ("medecin2", "medecin"):
        assert doc["id"] in ids(world.http.get(search_url(), headers=world.as_(author_or_gp)))
    assert doc["id"] in ids(world.http.get(DOCS, headers=world.as_("patient")))
    # masking twice changes nothing; showing it again restores the care team's view
    again = world.http.post(f"{DOCS}/{doc['id']}/$mask", headers=world.as_("patient"))
    assert again.json()["meta"]["versionId"] == "2"
    shown = world.http.post(f"{DOCS}/{doc['id']}/$mask?masked=false",
                            headers=world.as_("patient"))
    codes = {c["code"] for label in shown.json()["securityLabel"] for c in label["coding"]}
    assert "MASQUE_PS" not in codes and codes
    assert doc["id"] in ids(world.http.get(search_url(), headers=urgentiste))
    labels = [e["subtype"][0]["display"] for e in audit_events(world)
              if e["subtype"][0]["code"] == "dmp.document.mask"]
    assert labels == ["Masquage ou démasquage d'un document aux professionnels"] * 3


@pytest.mark.parametrize(("login", "which", "status"), [
    ("medecin", "own", 403),        # a professional masks at filing, not afterwards
    ("patient-b", "own", 404),      # another patient's document: not even its existence
    ("patient", "invisible", 404),  # a document hidden from the patient
    ("patient", "unknown", 404),
])
def test_only_the_patient_masks_her_visible_documents(world, login, which, status):
    doc_id = {"own": lambda: add(world)["id"],
              "invisible": lambda: add(world, confidentiality="INVISIBLE_PATIENT")["id"],
              "unknown": lambda: "inconnu"}[which]()
    r = world.http.post(f"{DOCS}/{doc_id}/$mask", headers=world.as_(login))
    assert r.status_code == status, r.text
    assert ("introuvable" if status == 404 else "Seul le patient") in diagnostics(r)
    tried = [e["outcome"] for e in audit_events(world, login if status == 404 else "patient")
             if e["subtype"][0]["code"] == "dmp.document.mask"]
    assert tried == ["4"]  # the refusal is in the audit the patient reads


def test_patient_refuses_break_glass_in_advance(world):
    doc = add(world)
    patient = world.as_("patient")
    state = world.http.post("/dmp/consent", json={"decision": "refuser_bris_de_glace"},
                            headers=patient).json()
    assert state["bris_de_glace_refuse"] is True
    emergency = {"X-Bris-De-Glace": _quote("Patient inconscient, recherche d'allergies")}
    for login in ("urgentiste", "sage-femme"):
        r = world.http.get(search_url(), headers={**world.as_(login), **emergency})
        assert r.status_code == 403 and "refusé par avance" in diagnostics(r)
    # the médecin traitant is told to consult as such
    r = world.http.get(search_url(), headers={**world.as_("medecin"), **emergency})
    assert r.status_code == 403 and "sans bris de glace" in diagnostics(r)
    assert doc["id"] in ids(world.http.get(search_url(), headers=world.as_("medecin")))
    assert world.http.get("/dmp/alerts", headers=patient).json() == []
    state = world.http.post("/dmp/consent", json={"decision": "accepter_bris_de_glace"},
                            headers=patient).json()
    assert state["bris_de_glace_refuse"] is False
    r = world.http.get(search_url(), headers={**world.as_("urgentiste"), **emergency})
    assert ids(r) == {doc["id"]}


def test_invisible_to_patient(world):
    hidden = add(world, confidentiality="INVISIBLE_PATIENT")
    shown = add(world)
    patient = world.as_("patient")
    assert ids(world.http.get(DOCS, headers=patient)) == {shown["id"]}
    assert world.http.get(f"{DOCS}/{hidden['id']}", headers=patient).status_code == 404
    assert hidden["id"] in ids(world.http.get(search_url(), headers=world.as_("medecin")))


def test_patient_reads_only_own_dmp(world):
    add(world)
    assert world.http.get(search_url(), headers=world.as_("patient-b")).status_code == 403
    assert world.http.get(search_url(), headers=world.as_("etudiant")).status_code == 403


def test_closed_dmp_refuses_everyone_until_reopened(world):
    doc = add(world)
    patient = world.as_("patient")
    r = world.http.post("/dmp/consent", json={"decision": "opposer"}, headers=patient)
    assert r.status_code == 400 and "motif" in diagnostics(r)
    r = world.http.post("/dmp/consent", json={"decision": "opposer",
                                              "motif": "Déménagement à l'étranger"},
                        headers=patient)
    assert r.json()["dmp_ferme"] is True
    h = world.as_("medecin")
    assert world.http.get(f"{DOCS}/{doc['id']}", headers=h).status_code == 403
    r = world.http.post(DOCS, json=document(), headers=h)
    assert r.status_code == 403 and "fermé" in diagnostics(r)
    world.http.post("/dmp/consent", json={"decision": "lever"}, headers=patient)
    assert world.http.get(f"{DOCS}/{doc['id']}", headers=h).status_code == 200


# --- bris de glace and the patient's view ----------------------------------------------------


def test_break_glass_is_traced_and_alerts_the_patient(world):
    doc = add(world)
    h = world.as_("urgentiste")
    assert world.http.get(search_url(), headers=h).status_code == 403
    reason = "Patient inconscient aux urgences : recherche d'allergies"
    r = world.http.get(search_url(), headers={**h, "X-Bris-De-Glace": _quote(reason)})
    assert ids(r) == {doc["id"]}
    r = world.http.get(f"{DOCS}/{doc['id']}?_bris_de_glace=Arret%20cardiaque", headers=h)
    assert r.status_code == 200

    alerts = world.http.get("/dmp/alerts", headers=world.as_("patient")).json()
    assert [a["motif"] for a in alerts] == ["Arret cardiaque", reason]
    assert {a["professionnel"] for a in alerts} == {"urgentiste"}
    emergency = [e for e in audit_events(world) if e.get("purposeOfEvent")]
    assert len(emergency) == 2
    assert emergency[1]["purposeOfEvent"][0]["coding"][0]["code"] == "ETREAT"
    assert emergency[1]["purposeOfEvent"][0]["text"] == reason


@pytest.mark.parametrize(("login", "reason", "status"), [
    ("urgentiste", "", 400),
    ("urgentiste", "abc", 400),
    ("infirmier", "urgence vitale", 403),
    ("pharmacien", "urgence vitale", 403),
    ("sage-femme", "accouchement inopiné", 200),
])
def test_break_glass_needs_reason_and_profession(world, login, reason, status):
    add(world)
    r = world.http.get(search_url(), headers={**world.as_(login),
                                              "X-Bris-De-Glace": _quote(reason)})
    assert r.status_code == status, r.text


def test_every_access_is_an_audit_event_the_patient_lists(world):
    doc = add(world)
    h = world.as_("medecin")
    world.http.get(search_url(), headers=h)
    world.http.get(f"{DOCS}/{doc['id']}", headers=h)
    world.http.get(f"/dmp/fhir/{doc['content'][0]['attachment']['url']}", headers=h)
    new = world.http.post(DOCS, json=document(replaces=doc["id"], text="v2"), headers=h).json()
    world.http.get(search_url(), headers=world.as_("medecin2"))  # refused
    world.http.post(DOCS, json=document(type_code="11488-4"), headers=world.as_("pharmacien"))

    events = audit_events(world)
    for event in events:
        model_class("AuditEvent").model_validate(event)
    seen = [(next((s["code"] for s in e.get("subtype", []) if s["code"].startswith("ITI-")), ""),
             e["action"], e["outcome"], e["agent"][0]["who"]["display"]) for e in events]
    assert seen[::-1] == [
        ("ITI-65", "C", "0", "medecin"),
        ("ITI-67", "E", "0", "medecin"),
        ("ITI-67", "R", "0", "medecin"),
        ("ITI-68", "R", "0", "medecin"),
        ("ITI-65", "U", "0", "medecin"),
        ("ITI-67", "E", "4", "medecin2"),
        ("ITI-65", "C", "4", "pharmacien"),
    ]
    targets = {e["entity"][-1]["what"]["reference"] for e in events if len(e["entity"]) > 1}
    assert f"DocumentReference/{new['id']}" in targets
    # listing the accesses is itself an access, seen the next time
    assert audit_events(world)[0]["outcomeDesc"].startswith("Consultation de l'historique")


def test_audit_is_for_the_patient_and_facilitator_only(world):
    add(world)
    assert world.http.get("/dmp/fhir/AuditEvent", headers=world.as_("medecin")).status_code == 403
    r = world.http.get(f"/dmp/fhir/AuditEvent?patient.identifier={INS_A}",
                       headers=world.as_("patient-b"))
    assert r.status_code == 403
    r = world.http.get(f"/dmp/fhir/AuditEvent?patient.identifier={INS_A}",
                       headers=world.as_("facilitateur"))
    assert r.status_code == 200 and r.json()["total"] >= 1


# --- replace, archive, idempotency, tenants ---------------------------------------------------


def test_replace_supersedes_and_cannot_happen_twice(world):
    old = add(world, text="v1")
    h = world.as_("medecin")
    r = world.http.post(DOCS, json=document(replaces=old["id"], text="v2"), headers=h)
    assert r.status_code == 201
    new = r.json()
    assert new["relatesTo"][0]["target"]["reference"] == f"DocumentReference/{old['id']}"
    assert world.http.get(f"{DOCS}/{old['id']}", headers=h).json()["status"] == "superseded"
    assert ids(world.http.get(search_url(), headers=h)) == {new["id"]}
    assert ids(world.http.get(search_url(status="superseded"), headers=h)) == {old["id"]}
    r = world.http.post(DOCS, json=document(replaces=old["id"], text="v3"), headers=h)
    assert r.status_code == 409 and "remplacé" in diagnostics(r)
    other = add(world, patient_ins=INS_B)
    r = world.http.post(DOCS, json=document(replaces=other["id"]), headers=h)
    assert r.status_code == 400
    r = world.http.post(DOCS, json=document(replaces="nope"), headers=h)
    assert r.status_code == 404


def test_archive_hides_from_default_search(world):
    doc = add(world)
    h = world.as_("medecin")
    r = world.http.post(f"{DOCS}/{doc['id']}/$archive", headers=h)
    assert r.status_code == 200
    assert ids(world.http.get(search_url(), headers=h)) == set()
    assert ids(world.http.get(search_url(archived="true"), headers=h)) == {doc["id"]}
    r = world.http.post(f"{DOCS}/{doc['id']}/$archive", headers=world.as_("medecin2"))
    assert r.status_code == 403
    world.http.post(f"{DOCS}/{doc['id']}/$archive?archived=false", headers=h)
    assert ids(world.http.get(search_url(), headers=h)) == {doc["id"]}


def test_same_master_identifier_is_filed_once(world):
    h = world.as_("medecin")
    first = world.http.post(DOCS, json=document(master="urn:uuid:0000-1", text="A"), headers=h)
    again = world.http.post(DOCS, json=document(master="urn:uuid:0000-1", text="A"), headers=h)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    clash = world.http.post(DOCS, json=document(master="urn:uuid:0000-1", text="B"), headers=h)
    assert clash.status_code == 409 and "masterIdentifier" in diagnostics(clash)
    assert len(ids(world.http.get(search_url(), headers=h))) == 1


def test_other_tenant_ids_are_404_without_data(world):
    doc = add(world, text="Secret du tenant t1")
    other = world.as_("medecin", "t2")
    r = world.http.get(f"{DOCS}/{doc['id']}", headers=other)
    assert r.status_code == 404 and "Secret" not in r.text and INS_A not in r.text
    binary = doc["content"][0]["attachment"]["url"]
    r = world.http.get(f"/dmp/fhir/{binary}", headers=other)
    assert r.status_code == 404 and "Secret" not in r.text
    assert world.http.get(search_url(), headers=other).json()["total"] == 0
    assert world.http.post(f"{DOCS}/{doc['id']}/$archive", headers=other).status_code == 404
    r = world.http.post(DOCS, json=document(replaces=doc["id"]), headers=other)
    assert r.status_code == 404


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text)


def test_break_glass_alert_survives_a_refused_read(world):
    masked = add(world, confidentiality="MASQUE_PS")
    r = world.http.get(f"{DOCS}/{masked['id']}",
                       headers={**world.as_("urgentiste"), "X-Bris-De-Glace": "urgence vitale"})
    assert r.status_code == 404  # masked even in an emergency
    alerts = world.http.get("/dmp/alerts", headers=world.as_("patient")).json()
    assert [a["motif"] for a in alerts] == ["urgence vitale"]


def test_refused_writes_are_traced(world):
    doc = add(world, master="urn:uuid:x-1", text="A")
    h = world.as_("medecin")
    world.http.post(DOCS, json=document(master="urn:uuid:x-1", text="B"), headers=h)
    world.http.post(DOCS, json=document(replaces=doc["id"], text="v2"), headers=h)
    world.http.post(DOCS, json=document(replaces=doc["id"], text="v3"), headers=h)
    outcomes = [(e["action"], e["outcome"]) for e in audit_events(world)][::-1]
    assert outcomes == [("C", "0"), ("C", "4"), ("U", "0"), ("U", "4")]
