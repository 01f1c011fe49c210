"""A notebook-size population's later passes come from a snapshot of its first complete one:
the same patients as a fresh stream, new objects on every pass; larger ones keep streaming.
A pass unpickled ahead (for a fork server's children) is taken once, by the next pass."""

from __future__ import annotations

import itertools
import json
import os

import pytest

import synthetic_data
from synthetic_data import population as population_module

N = 12


@pytest.fixture(autouse=True)
def no_snapshots(monkeypatch):
    """Each test starts with no snapshot and leaves none behind."""
    monkeypatch.setattr(population_module, "_SNAPSHOTS", type(population_module._SNAPSHOTS)())
    monkeypatch.setattr(population_module, "_AHEAD", {})


def _fhir(population) -> str:
    return json.dumps(list(population.fhir()), sort_keys=True, default=str)


def test_later_passes_equal_a_fresh_stream(monkeypatch) -> None:
    population = synthetic_data.generate(n=N, seed=7)
    first = list(population.patients)
    assert population.settings in population_module._SNAPSHOTS
    snapshot_export = _fhir(population)
    again = list(population.patients)
    monkeypatch.setattr(population_module, "SNAPSHOT_MAX_PATIENTS", 0)
    population_module._SNAPSHOTS.clear()
    streamed = list(population.patients)
    assert population.settings not in population_module._SNAPSHOTS
    assert first == again == streamed
    assert snapshot_export == _fhir(population)


def test_every_pass_yields_new_objects() -> None:
    population = synthetic_data.generate(n=N, seed=7)
    first = list(population.patients)
    second = list(population.patients)
    assert all(a is not b and a.identity is not b.identity for a, b in zip(first, second, strict=True))
    for patient in second:  # a student editing what a pass gave them
        patient.identity.birth_name = "MODIFIE"
        patient.observations.clear()
    assert list(population.patients) == first
    assert all(p.identity.birth_name != "MODIFIE" for p in population.patients)


def test_edits_during_the_first_pass_do_not_reach_the_snapshot() -> None:
    population = synthetic_data.generate(n=N, seed=7)
    untouched = [population.patient(p.id) for p in population.identities()]
    for patient in population.patients:
        patient.encounters.clear()
    assert list(population.patients) == untouched


def test_a_pass_left_half_way_keeps_nothing() -> None:
    population = synthetic_data.generate(n=N, seed=7)
    next(iter(population.patients))
    assert population.settings not in population_module._SNAPSHOTS
    assert len(list(population.patients)) == N


def test_large_populations_keep_streaming(monkeypatch) -> None:
    monkeypatch.setattr(population_module, "SNAPSHOT_MAX_PATIENTS", N - 1)
    population = synthetic_data.generate(n=N, seed=7)
    assert len(list(population.patients)) == N
    assert not population_module._SNAPSHOTS


def test_only_the_latest_populations_keep_a_snapshot(monkeypatch) -> None:
    monkeypatch.setattr(population_module, "SNAPSHOTS_KEPT", 2)
    populations = [synthetic_data.generate(n=3, seed=seed) for seed in (1, 2, 3)]
    for population in populations:
        list(population.patients)
    assert list(population_module._SNAPSHOTS) == [p.settings for p in populations[1:]]


def test_passes_unpickled_ahead_are_taken_once_each() -> None:
    population = synthetic_data.generate(n=N, seed=7)
    first = list(population.patients)
    population_module.unpickle_ahead(population, passes=2)
    ahead = list(population_module._AHEAD[population.settings])
    taken = [list(population.patients), list(population.patients)]
    assert not population_module._AHEAD[population.settings]
    later = list(population.patients)
    for done, kept in zip(taken, ahead, strict=True):
        assert all(a is b for a, b in zip(done, kept, strict=True))
    assert taken[0] == taken[1] == later == first
    passes = [first, *taken, later]
    for one, other in itertools.pairwise(passes):
        assert all(a is not b for a, b in zip(one, other, strict=True))


def test_a_forked_child_edits_only_its_own_copy_of_the_pass_ahead() -> None:
    population = synthetic_data.generate(n=N, seed=7)
    first = list(population.patients)
    population_module.unpickle_ahead(population)
    child = os.fork()
    if child == 0:  # as a grading kernel: walk the population, edit every patient
        code = 1
        try:
            for patient in population.patients:
                patient.identity.birth_name = "MODIFIE"
                patient.encounters.clear()
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert population_module._AHEAD[population.settings] == [first]  # the parent's, untouched
    assert list(population.patients) == first
