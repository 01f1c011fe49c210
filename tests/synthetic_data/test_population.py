"""The Python API: a small population streamed, rebuilt, flattened and exported to FHIR."""

from __future__ import annotations

import subprocess
import sys

import pytest

import synthetic_data
from synthetic_data import nir
from synthetic_data import referentials as ref
from synthetic_data.errors import SantelabError
from synthetic_data.export import systems
from synthetic_data.fhir_models import model_class

N = 50


@pytest.fixture(scope="module")
def population() -> synthetic_data.Population:
    return synthetic_data.generate(n=N, seed=11)


@pytest.fixture(scope="module")
def resources(population) -> list[dict]:
    return list(population.fhir())


def test_generate_refuses_a_non_positive_size_in_french() -> None:
    with pytest.raises(SantelabError, match="nombre de patients"):
        synthetic_data.generate(n=0)


def test_patients_stream_again_identically(population) -> None:
    first = [(p.id, len(p.encounters), len(p.observations)) for p in population.patients]
    again = [(p.id, len(p.encounters), len(p.observations)) for p in population.patients]
    assert first == again
    assert len(first) == len(population.patients) == N
    assert sum(n for _, n, _ in first) > 0, "the pathways gave nobody an encounter"


def test_one_patient_rebuilt_alone_equals_the_streamed_one(population) -> None:
    streamed = list(population.patients)[N // 2]
    assert population.patient(streamed.id) == streamed
    with pytest.raises(SantelabError, match="patient inconnu"):
        population.patient("pat-999999")


def test_every_patient_has_a_general_practitioner(population) -> None:
    by_id = {pr.id: pr for pr in population.practitioners}
    for p in population.patients:
        gp = by_id[p.gp_id]
        assert (gp.profession, gp.specialty) == ("10", "SM54")


def test_general_practitioner_is_chosen_near_home(population) -> None:
    """Same département when a GP practises there, else same région when one does."""
    communes = ref.communes()
    places = {o.id: communes[o.address.insee] for o in population.organizations}
    gps = {pr.id: places[pr.organization_id] for pr in population.practitioners
           if (pr.profession, pr.specialty) == ("10", "SM54")}
    near = 0
    for p in population.patients:
        home, gp = communes[p.address.insee], gps[p.gp_id]
        for level in ("departement", "region"):
            if getattr(home, level) in {getattr(g, level) for g in gps.values()}:
                assert getattr(gp, level) == getattr(home, level), (p.id, level)
                near += 1
                break
    assert near > 0


def test_every_resource_validates_with_r4b_models(resources) -> None:
    assert len(resources) > 10 * N
    for resource in resources:
        model_class(resource["resourceType"]).model_validate(resource)


def test_all_references_resolve_to_exported_resources(resources) -> None:
    known = {f"{r['resourceType']}/{r['id']}" for r in resources}
    assert len(known) == len(resources), "duplicate resource ids"
    missing = {ref for ref in _references(resources) if ref not in known}
    assert not missing


def _references(node: object):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "reference" or (key == "url" and str(value).startswith("Binary/")):
                yield value
            else:
                yield from _references(value)
    elif isinstance(node, list):
        for item in node:
            yield from _references(item)


def test_every_resource_is_tagged_synthetic(resources) -> None:
    for resource in resources:
        codes = {(t["system"], t["code"]) for t in resource["meta"]["tag"]}
        assert {(systems.ACT_REASON, "HTEST"), (systems.SANTELAB_SEED, "11")} <= codes


def test_ins_only_for_qualified_identities_with_valid_keys_and_test_oid(
    population, resources
) -> None:
    statuses = {p.id: p.identity.status.value for p in population.identities()}
    patients = [r for r in resources if r["resourceType"] == "Patient"]
    shared = 0
    for resource in patients:
        for identifier in resource["identifier"]:
            if identifier["system"].startswith("urn:oid:1.2.250.1.213.1.4."):
                assert identifier["system"] == nir.OID_INS_TEST
                assert nir.is_valid_matricule(identifier["value"])
                assert statuses[resource["id"]] == "QUAL"
                shared += 1
    assert shared == sum(1 for s in statuses.values() if s == "QUAL") > 0


def test_ground_truth_matches_the_pitfall_flags(population) -> None:
    truth = population.ground_truth().set_index("patient_id")
    assert len(truth) == N
    ids = set(truth.index)
    for p in population.identities():
        row = truth.loc[p.id]
        assert set(filter(None, row["pitfalls"].split("|"))) == {f.value for f in p.pitfalls}
        related = set(filter(None, row["related_ids"].split("|")))
        assert related == set(p.related_to) and related <= ids
    assert (truth["pitfalls"] != "").any()


def test_dataframes_are_consistent_with_the_patients(population) -> None:
    patients = population.dataframe("patients")
    assert list(patients["patient_id"]) == [p.id for p in population.identities()]
    for table in ("encounters", "conditions", "observations", "medications", "documents"):
        frame = population.dataframe(table)
        assert set(frame["patient_id"]) <= set(patients["patient_id"]), table
    assert len(population.dataframe("practitioners")) == len(population.practitioners)
    assert len(population.dataframe("organizations")) == len(population.organizations)
    with pytest.raises(SantelabError, match="table inconnue"):
        population.dataframe("factures")


def test_a_population_is_generated_and_exported_without_faker() -> None:
    """Faker only rebuilds a referential table (`data_sources/`): with it made unimportable,
    generating and exporting still work."""
    code = (
        "import sys; sys.modules['faker'] = None\n"
        "import synthetic_data\n"
        "resources = list(synthetic_data.generate(n=3, seed=1).fhir())\n"
        "assert resources and not any(name.startswith('faker') for name in sys.modules if sys.modules[name])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
