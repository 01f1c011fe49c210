"""FHIR builders on a hand-built patient: R4B validity, FR Core identity shapes, references."""

from __future__ import annotations

import base64
import hashlib
from datetime import date, datetime

import pytest

from synthetic_data import model
from synthetic_data.errors import SantelabError
from synthetic_data.export import bundle, fhir_r4, ground_truth, systems
from synthetic_data.export.validate import validate_resource
from synthetic_data.fhir_models import model_class

CTX = fhir_r4.ExportContext(seed=7, reference_date=date(2026, 1, 1))
HOME = model.Address("12 rue des Lilas", "69003", "Lyon", "69383")


def _organization() -> model.Organization:
    return model.Organization(
        id="org-0001", finess="690000001", finess_legal="690000002", name="Cabinet des Lilas",
        kind="CABINET", address=HOME, mssante="cabinet@lilas.mssante.fr", phone="04 78 00 00 00",
    )


def _practitioner() -> model.Practitioner:
    return model.Practitioner(
        id="pra-0001", rpps="10001234567", birth_name="MARTIN", given_name="Claire",
        sex=model.Sex.FEMALE, profession="10", specialty="SM54", organization_id="org-0001",
        mssante="claire.martin@medecin.bac-a-sable.mssante.fr",
    )


def _patient(status: model.IdentityStatus = model.IdentityStatus.QUAL) -> model.Patient:
    identity = model.Identity(
        birth_name="DUPONT-D'ALMEIDA", given_names=["JEAN", "LOIC"], sex=model.Sex.MALE,
        birth_date=date(1963, 12, 7), birthplace="84077", used_name="DUPONT",
        used_given_name="Jeannot", status=status, matricule="163128407704294",
        written_given_names=["Jean", "Loïc"],
    )
    loinc = model.Coding("loinc", "8480-6", "Pression artérielle systolique")
    enc = model.Encounter(
        id="pat-000001-enc-1", kind="AMB", start=datetime(2024, 7, 1, 9, 30),
        end=datetime(2024, 7, 1, 9, 50), reason=model.Coding("cim10", "I10", "Hypertension"),
        practitioner_id="pra-0001", organization_id="org-0001", pathway="hypertension",
    )
    return model.Patient(
        id="pat-000001", identity=identity, address=HOME, phone="06 12 34 56 78",
        vitale="VIT000001", gp_id="pra-0001",
        pitfalls={model.Pitfall.USED_NAME, model.Pitfall.COMPOSITE_NAME,
                  model.Pitfall.APOSTROPHE_ACCENT},
        related_to=["pat-000002"],
        encounters=[enc],
        conditions=[model.Condition("pat-000001-cond-1", [enc.reason], date(2024, 7, 1), enc.id)],
        observations=[
            model.Observation("pat-000001-obs-1", loinc, "vital-signs", enc.start, enc.id,
                              value=152.0, unit="mm[Hg]", interpretation="H"),
            model.Observation(
                "pat-000001-obs-2", model.Coding("loinc", "85354-9", "Pression artérielle"),
                "vital-signs", enc.start, enc.id,
                components=[(loinc, 152.0, "mm[Hg]"),
                            (model.Coding("loinc", "8462-4", "Diastolique"), 91.0, "mm[Hg]")],
            ),
        ],
        medications=[
            model.MedicationRequest(
                "pat-000001-med-1", model.Coding("atc", "C09AA05", "ramipril"),
                "RAMIPRIL 5 mg cp", "1 comprimé le matin", datetime(2025, 12, 20, 10, 0),
                "pra-0001", enc.id, duration_days=90,
            )
        ],
        immunizations=[
            model.Immunization("pat-000001-imm-1", model.Coding("atc", "J07BB", "grippe"),
                               date(2025, 10, 20), "pra-0001", None)
        ],
        documents=[
            model.ClinicalDocument(
                "pat-000001-doc-1", model.Coding("loinc", "11488-4", "CR de consultation"), "10",
                "Compte rendu de consultation", "Patient vu ce jour. Tension élevée.",
                enc.start, "pra-0001", enc.id, confidentiality="N",
            )
        ],
    )


def _all_resources(p: model.Patient) -> list[dict]:
    return [
        *fhir_r4.directory_resources([_organization()], [_practitioner()], CTX),
        *fhir_r4.patient_resources(p, CTX),
    ]


def test_every_resource_validates_with_r4b_models() -> None:
    resources = _all_resources(_patient())
    kinds = {r["resourceType"] for r in resources}
    assert kinds == {
        "Organization", "Practitioner", "PractitionerRole", "Patient", "Encounter", "Condition",
        "Observation", "MedicationRequest", "Immunization", "DocumentReference", "Binary",
    }
    for resource in resources:
        model_class(resource["resourceType"]).model_validate(resource)


def test_validation_rejects_a_broken_shape_in_french() -> None:
    broken = fhir_r4.patient(_patient(), CTX)
    broken["birthDate"] = "07/12/1963"
    with pytest.raises(SantelabError, match="ressource FHIR invalide Patient/pat-000001"):
        validate_resource(broken)


def test_references_resolve_within_the_export() -> None:
    resources = _all_resources(_patient())
    known = {f"{r['resourceType']}/{r['id']}" for r in resources}
    references = list(_references(resources))
    assert len(references) > 15
    assert set(references) <= known


def _references(node: object):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "reference":
                yield value
            else:
                yield from _references(value)
    elif isinstance(node, list):
        for item in node:
            yield from _references(item)
    if isinstance(node, dict) and node.get("resourceType") == "DocumentReference":
        for content in node["content"]:
            yield content["attachment"]["url"]


def test_every_resource_is_tagged_synthetic_with_its_seed() -> None:
    for resource in _all_resources(_patient()):
        tags = {(t["system"], t["code"]) for t in resource["meta"]["tag"]}
        assert (systems.ACT_REASON, "HTEST") in tags
        assert (systems.SANTELAB_SEED, "7") in tags


def test_qualified_patient_carries_ins_with_the_test_oid_only() -> None:
    resource = fhir_r4.patient(_patient(), CTX)
    ins = [i for i in resource["identifier"] if i["system"].startswith("urn:oid:1.2.250.1.213")]
    assert ins == [
        {
            "use": "official",
            "type": {"coding": [{"system": systems.FR_CORE_IDENTIFIER_TYPE,
                                 "code": "INS-NIR-TEST", "display": "NIR TEST"}]},
            "system": "urn:oid:1.2.250.1.213.1.4.10",
            "value": "163128407704294",
        }
    ]
    status = resource["extension"][0]["extension"][0]["valueCoding"]
    assert (status["system"], status["code"]) == (systems.IDENTITY_STATUS, "QUAL")


@pytest.mark.parametrize(
    "status", [model.IdentityStatus.PROV, model.IdentityStatus.RECUP, model.IdentityStatus.VALI]
)
def test_unqualified_identity_never_shares_the_ins(status: model.IdentityStatus) -> None:
    resource = fhir_r4.patient(_patient(status), CTX)
    assert [i["system"] for i in resource["identifier"]] == [systems.SANTELAB_PATIENT_ID]
    assert resource["extension"][0]["extension"][0]["valueCoding"]["code"] == status.value


def test_names_birth_place_and_gp_follow_fr_core() -> None:
    resource = fhir_r4.patient(_patient(), CTX)
    official, usual = resource["name"]
    assert official["use"] == "official" and official["family"] == "DUPONT-D'ALMEIDA"
    assert official["given"] == ["JEAN"]  # strict traits as the INSi returns them
    assert official["extension"][0]["valueString"] == "JEAN LOIC"
    assert usual == {"use": "usual", "family": "DUPONT", "given": ["Jeannot"]}
    birth_place = resource["extension"][1]
    assert birth_place["url"] == "http://hl7.org/fhir/StructureDefinition/patient-birthPlace"
    assert birth_place["valueAddress"]["extension"][0]["valueCoding"]["code"] == "84077"
    assert resource["generalPractitioner"] == [{"reference": "Practitioner/pra-0001"}]
    assert resource["gender"] == "male" and resource["birthDate"] == "1963-12-07"
    assert resource["meta"]["profile"] == [
        "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-patient-ins"]


def test_unqualified_patients_declare_fr_core_patient_and_display_the_written_names() -> None:
    patient = _patient(model.IdentityStatus.VALI)
    patient.identity.used_name = patient.identity.used_given_name = None
    resource = fhir_r4.patient(patient, CTX)
    assert resource["meta"]["profile"] == [
        "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-patient"]
    assert resource["name"][1] == {"use": "usual", "family": "DUPONT-D'ALMEIDA", "given": ["Jean"]}


def test_born_abroad_patients_carry_the_birth_place_extension_and_a_partial_date() -> None:
    patient = _patient()
    patient.identity.birthplace, patient.identity.birth_year_only = "99350", True
    resource = fhir_r4.patient(patient, CTX)
    place = resource["extension"][1]["valueAddress"]
    assert place["extension"][0]["valueCoding"] == {
        "system": "https://mos.esante.gouv.fr/NOS/TRE_R20-Pays/FHIR/TRE-R20-Pays", "code": "99350"}
    assert place["district"] == "99350" and place["country"] == "Maroc"
    assert resource["birthDate"] == "1963"
    validate_resource(resource)


def test_every_directory_resource_and_encounter_declares_its_fr_core_profile() -> None:
    resources = [fhir_r4.practitioner(_practitioner(), CTX),
                 fhir_r4.practitioner_role(_practitioner(), CTX),
                 fhir_r4.organization(_organization(), CTX),
                 *(r for r in fhir_r4.patient_resources(_patient(), CTX) if r["resourceType"] == "Encounter")]
    profiles = {r["resourceType"]: r["meta"]["profile"] for r in resources}
    base = "https://hl7.fr/ig/fhir/core/StructureDefinition/"
    assert profiles == {"Practitioner": [base + "fr-core-practitioner"],
                        "PractitionerRole": [base + "fr-core-practitioner-role"],
                        "Organization": [base + "fr-core-organization"],
                        "Encounter": [base + "fr-core-encounter"]}


def test_professional_and_structure_identifiers() -> None:
    pr = fhir_r4.practitioner(_practitioner(), CTX)
    assert {(i["system"], i["value"]) for i in pr["identifier"]} == {
        ("https://rpps.esante.gouv.fr", "10001234567"),
        ("urn:oid:1.2.250.1.71.4.2.1", "810001234567"),
    }
    role = fhir_r4.practitioner_role(_practitioner(), CTX)
    assert role["code"][0]["coding"][0]["code"] == "10"
    assert role["specialty"][0]["coding"][0]["code"] == "SM54"
    assert {"system": "email", "value": "claire.martin@medecin.bac-a-sable.mssante.fr", "use": "work"} in role[
        "telecom"
    ]
    org = fhir_r4.organization(_organization(), CTX)
    assert {(i["system"], i["value"]) for i in org["identifier"]} == {
        ("https://finess.esante.gouv.fr", "690000001"),
        ("urn:oid:1.2.250.1.71.4.2.2", "1690000001"),
    }


def test_document_reference_points_to_its_binary() -> None:
    p = _patient()
    resources = list(fhir_r4.patient_resources(p, CTX))
    doc = next(r for r in resources if r["resourceType"] == "DocumentReference")
    binary = next(r for r in resources if r["resourceType"] == "Binary")
    attachment = doc["content"][0]["attachment"]
    assert attachment["url"] == f"Binary/{binary['id']}"
    body = base64.b64decode(binary["data"])
    assert body.decode() == p.documents[0].text
    assert attachment["size"] == len(body)
    assert base64.b64decode(attachment["hash"]) == hashlib.sha1(body).digest()
    assert doc["category"][0]["coding"][0] == {"system": systems.J57_CLASS_CODE, "code": "10"}
    assert doc["type"]["coding"][0]["code"] == "11488-4"
    assert doc["context"]["encounter"] == [{"reference": "Encounter/pat-000001-enc-1"}]


def test_medication_status_depends_on_the_reference_date() -> None:
    med = _patient().medications[0]
    assert fhir_r4.medication_request(med, _patient(), CTX)["status"] == "active"
    later = fhir_r4.ExportContext(seed=7, reference_date=date(2026, 6, 1))
    assert fhir_r4.medication_request(med, _patient(), later)["status"] == "completed"


def test_transaction_bundle_validates_and_puts_each_resource() -> None:
    resources = list(fhir_r4.patient_resources(_patient(), CTX))
    tx = bundle.transaction("pat-000001", resources, CTX)
    model_class("Bundle").model_validate(tx)
    assert [e["request"]["url"] for e in tx["entry"]] == [
        f"{r['resourceType']}/{r['id']}" for r in resources
    ]
    assert len({e["fullUrl"] for e in tx["entry"]}) == len(resources)


def test_ground_truth_row_sorts_pitfalls_and_keeps_true_traits() -> None:
    row = dict(zip(ground_truth.COLUMNS, ground_truth.row(_patient()), strict=True))
    assert row["pitfalls"] == "apostrophe_accent|nom_compose|nom_usage_different"
    assert row["related_ids"] == "pat-000002"
    assert row["birth_name"] == "DUPONT-D'ALMEIDA" and row["given_names"] == "JEAN LOIC"
    assert row["written_given_names"] == "Jean Loïc" and row["matricule"] == "163128407704294"


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (datetime(2025, 1, 15, 9, 30), "2025-01-15T09:30:00+01:00"),
        (datetime(2025, 3, 30, 1, 59), "2025-03-30T01:59:00+01:00"),  # before the spring change
        (datetime(2025, 3, 30, 3, 0), "2025-03-30T03:00:00+02:00"),
        (datetime(2025, 10, 26, 1, 0), "2025-10-26T01:00:00+02:00"),
        (datetime(2025, 10, 26, 3, 0), "2025-10-26T03:00:00+01:00"),  # after the autumn change
    ],
)
def test_naive_times_are_paris_local_time_with_the_offset_of_the_day(local, expected) -> None:
    assert fhir_r4.instant(local) == expected
