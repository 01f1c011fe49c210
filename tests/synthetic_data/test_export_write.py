"""Writing a population to a folder: files, read-back, atomicity, refusal to overwrite."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pandas as pd
import pytest

import synthetic_data
from synthetic_data import population as population_module
from synthetic_data.errors import SantelabError
from synthetic_data.export.ndjson import RESOURCE_TYPES
from synthetic_data.fhir_models import model_class

N = 12


@pytest.fixture(scope="module")
def population() -> synthetic_data.Population:
    return synthetic_data.generate(n=N, seed=5, years=3)


@pytest.fixture(scope="module")
def written(population, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("write") / "pop"
    population.write(out, formats=("ndjson", "bundle", "csv"), validate=True)
    return out


def test_ndjson_counts_match_the_manifest_and_read_back(written) -> None:
    manifest = json.loads((written / "manifest.json").read_text())
    assert manifest["patients"] == N and manifest["seed"] == 5
    for kind in RESOURCE_TYPES:
        lines = (written / f"{kind}.ndjson").read_bytes().splitlines()
        assert len(lines) == manifest["resources"][kind], kind
        for line in lines[:20]:
            model_class(kind).model_validate_json(line)
    frame = pd.read_json(written / "Patient.ndjson", lines=True)
    assert len(frame) == N and set(frame["resourceType"]) == {"Patient"}


def test_one_transaction_bundle_per_patient_plus_the_directory(written) -> None:
    bundles = sorted(p.name for p in (written / "bundles").iterdir())
    assert bundles == sorted([f"pat-{i:06d}.json" for i in range(1, N + 1)] + ["directory.json"])
    tx = orjson.loads((written / "bundles" / "pat-000001.json").read_bytes())
    model_class("Bundle").model_validate(tx)
    assert tx["entry"][0]["request"] == {"method": "PUT", "url": "Patient/pat-000001"}


def test_csv_tables_and_ground_truth_load_in_pandas(written, population) -> None:
    patients = pd.read_csv(written / "patients.csv", dtype=str)
    assert list(patients["patient_id"]) == [p.id for p in population.identities()]
    truth = pd.read_csv(written / "ground_truth.csv", dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(truth, population.ground_truth().astype(str))
    observations = pd.read_csv(written / "observations.csv")
    assert len(observations) == len(population.dataframe("observations"))


def test_refuses_a_non_empty_folder_unless_forced(population, tmp_path) -> None:
    out = tmp_path / "busy"
    out.mkdir()
    (out / "notes.txt").write_text("à garder")
    with pytest.raises(SantelabError, match="n'est pas vide"):
        population.write(out)
    assert (out / "notes.txt").exists()
    population.write(out, force=True)
    assert not (out / "notes.txt").exists() and (out / "manifest.json").exists()


def test_a_failure_midway_leaves_nothing_that_looks_complete(
    population, tmp_path, monkeypatch
) -> None:
    real = population_module.Simulator.render
    calls = {"n": 0}

    def failing(self, patient, formats, validate):
        calls["n"] += 1
        if calls["n"] == N // 2:
            raise RuntimeError("disk on fire")
        return real(self, patient, formats, validate)

    monkeypatch.setattr(population_module.Simulator, "render", failing)
    with pytest.raises(RuntimeError):
        population.write(tmp_path / "pop")
    assert list(tmp_path.iterdir()) == []
