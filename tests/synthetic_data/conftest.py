"""One large sample of simulated histories, shared by the tests that measure the population's
health (prevalences, deaths): 5,000 patients from the French age pyramid, simulated once per
test process (the modules using it share an xdist group, so once per run)."""

from __future__ import annotations

import random

import pytest

from synthetic_data import model
from synthetic_data.pathways import PathwayEngine
from synthetic_data.pathways.calibration import StubContext, pyramid_sample

PYRAMID_SAMPLE = 5000


@pytest.fixture(scope="session")
def pyramid_histories() -> list[model.Patient]:
    patients = pyramid_sample(PYRAMID_SAMPLE, seed=2026)
    engine, ctx = PathwayEngine.load(), StubContext()
    for patient in patients:
        engine.run(patient, random.Random(f"prevalence:{patient.id}"), ctx)
    return patients
