"""The export against FR Core's own StructureDefinitions (tests/fixtures/fr_core/, FR Core 2.2.0):
every resource that declares an FR Core profile keeps what that profile states, and the checker
does catch a resource that breaks one."""

from __future__ import annotations

import copy
from collections import Counter

import pytest
from fixtures.fr_core_profiles import Profiles

import synthetic_data

N = 300
SEED = 42


@pytest.fixture(scope="module")
def profiles() -> Profiles:
    return Profiles()


@pytest.fixture(scope="module")
def profiled(profiles) -> list[dict]:
    """Every exported resource that declares a profile (the directory and 300 patients' records)."""
    population = synthetic_data.generate(n=N, seed=SEED)
    return [r for r in population.fhir() if r.get("meta", {}).get("profile")]


def _first(resources: list[dict], predicate) -> dict:
    return copy.deepcopy(next(r for r in resources if predicate(r)))


def _qualified(r: dict) -> bool:
    return r["resourceType"] == "Patient" and any("fr-core-patient-ins" in p for p in r["meta"]["profile"])


def test_the_export_declares_every_shipped_resource_profile(profiled, profiles) -> None:
    declared = Counter(p for r in profiled for p in r["meta"]["profile"])
    resource_profiles = {url for url, d in profiles.definitions.items() if d["kind"] == "resource"}
    assert set(declared) == resource_profiles, declared
    assert declared[next(u for u in resource_profiles if u.endswith("-patient-ins"))] > 20


def test_every_profiled_resource_keeps_its_fr_core_profile(profiled, profiles) -> None:
    breaches = [str(b) for r in profiled for b in profiles.check(r)]
    assert not breaches, "\n".join(breaches[:20]) + f"\n({len(breaches)} in all)"


def test_a_qualified_patient_without_birth_place_breaks_patient_ins(profiled, profiles) -> None:
    patient = _first(profiled, _qualified)
    patient["extension"] = [e for e in patient["extension"] if not e["url"].endswith("patient-birthPlace")]
    assert [(b.profile, b.path.split(" ")[0], b.rule) for b in profiles.check(patient)] == [
        ("fr-core-patient-ins", "Patient.extension:birthPlace", "min 1, found 0")]


def test_a_test_ins_with_the_wrong_use_or_two_official_names_is_caught(profiled, profiles) -> None:
    patient = _first(profiled, _qualified)
    ins = next(i for i in patient["identifier"] if i["system"] == "urn:oid:1.2.250.1.213.1.4.10")
    ins["use"] = "usual"
    patient["name"].append(copy.deepcopy(patient["name"][0]))
    rules = {(b.path.split(" ")[0], b.rule.split(",")[0]) for b in profiles.check(patient)}
    # the identifier stays in the INS-NIR-TEST slice (told by its type), whose use pattern then
    # fails; a second official name breaks officialName's max 1
    assert ("Patient.identifier:INS-NIR-TEST.use", 'patternCode "official"') in rules, rules
    assert ("Patient.name:officialName", "max 1") in rules, rules


def test_extensions_are_checked_against_their_own_definition(profiled, profiles) -> None:
    patient = _first(profiled, lambda r: r["resourceType"] == "Patient")
    reliability = next(e for e in patient["extension"] if e["url"].endswith("identity-reliability"))
    reliability["extension"][0]["valueString"] = reliability["extension"][0].pop("valueCoding")["code"]
    official = next(n for n in patient["name"] if n["use"] == "official")
    official["extension"][0]["valueInteger"] = 3
    broken = [str(b) for b in profiles.check(patient)]
    assert any("identityStatus.value[x]" in b and "valueString" in b for b in broken), broken
    assert any("birth-list-given-name" in b and "valueInteger" in b for b in broken), broken


def test_an_encounter_without_identifier_breaks_fr_core_encounter(profiled, profiles) -> None:
    encounter = _first(profiled, lambda r: r["resourceType"] == "Encounter")
    del encounter["identifier"]
    assert [(b.path.split(" ")[0], b.rule) for b in profiles.check(encounter)] == [
        ("Encounter.identifier", "min 1, found 0")]


def test_a_practitioner_with_two_national_ids_breaks_the_idnatps_slice(profiled, profiles) -> None:
    practitioner = _first(profiled, lambda r: r["resourceType"] == "Practitioner")
    practitioner["identifier"].append(copy.deepcopy(
        next(i for i in practitioner["identifier"] if i["system"] == "urn:oid:1.2.250.1.71.4.2.1")))
    assert [(b.path.split(" ")[0], b.rule) for b in profiles.check(practitioner)] == [
        ("Practitioner.identifier:idNatPs", "max 1, found 2")]


def test_an_undeclared_profile_is_reported(profiles) -> None:
    resource = {"resourceType": "Patient", "id": "x",
                "meta": {"profile": ["https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-patient-typo"]}}
    assert [b.rule for b in profiles.check(resource)] == ["profile not shipped with the checker"]
