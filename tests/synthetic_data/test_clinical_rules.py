"""Clinical rules hold over a large simulated sample: labs agree with each other (eGFR with
creatinine, by CKD-EPI 2021) and no prescription breaks the safe-prescribing rules (metformin
below eGFR 30, drugs contraindicated or not recommended during a pregnancy).

The sample mixes the French age pyramid with women of child-bearing age, so that pregnancies
meeting a chronic treatment are numerous enough to test."""

from __future__ import annotations

import itertools
import random
import statistics
from datetime import date

import pytest

from synthetic_data import model
from synthetic_data.pathways import PathwayEngine
from synthetic_data.pathways.calibration import StubContext, age_at, bare_patient, pyramid_sample

pytestmark = pytest.mark.slow

PYRAMID, WOMEN = 1500, 1500
CREATININE, EGFR = "2160-0", "62238-1"
METFORMIN = "A10BA02"
# Written out here, not read from the rules file, so that the test checks the file too:
# IEC, sartans and their combinations, statins, metformin, sulfonylureas, gliptins, GLP-1
# analogues, gliflozins (RCP § 4.6, ANSM; CRAT).
NOT_IN_PREGNANCY = ("C09A", "C09B", "C09C", "C09D", "C10AA", "A10BA02", "A10BB", "A10BH", "A10BJ", "A10BK")


@pytest.fixture(scope="module")
def histories() -> list[model.Patient]:
    rng = random.Random(18)
    patients = pyramid_sample(PYRAMID, seed=2018)
    patients += [
        bare_patient(f"w{k}", model.Sex.FEMALE, date(rng.randint(1976, 1998), rng.randint(1, 12), rng.randint(1, 28)))
        for k in range(WOMEN)
    ]
    engine, ctx = PathwayEngine.load(), StubContext()
    for patient in patients:
        engine.run(patient, random.Random(f"rules:{patient.id}"), ctx)
    return patients


def lab_pairs(patients: list[model.Patient]) -> list[tuple[model.Sex, int, float, float]]:
    """(sex, age, creatinine, eGFR) for every eGFR reported with a creatinine of the same draw."""
    pairs = []
    for patient in patients:
        creatinine = {o.effective: o.value for o in patient.observations if o.code.code == CREATININE}
        for obs in patient.observations:
            if obs.code.code == EGFR and obs.effective in creatinine:
                age = age_at(patient, obs.effective.date())
                pairs.append((patient.identity.sex, age, creatinine[obs.effective], obs.value))
    return pairs


def test_egfr_falls_as_creatinine_rises(histories: list[model.Patient]) -> None:
    pairs = lab_pairs(histories)
    assert len(pairs) > 1000, f"{len(pairs)} paires créatinine/DFG seulement"
    assert statistics.correlation([p[2] for p in pairs], [p[3] for p in pairs]) < -0.8
    # Same sex and age: a higher creatinine never gives a higher eGFR (CKD-EPI is monotone).
    for _, group in itertools.groupby(sorted(pairs), key=lambda p: (p[0], p[1])):
        egfrs = [egfr for *_, egfr in group]
        assert all(a >= b for a, b in itertools.pairwise(egfrs)), egfrs
    assert any(egfr < 30 for *_, egfr in pairs), "aucun DFG < 30 : la règle de la metformine n'est pas éprouvée"


def test_no_metformin_started_or_renewed_below_egfr_30(histories: list[model.Patient]) -> None:
    checked = 0
    for patient in histories:
        egfrs = sorted((o.effective, o.value) for o in patient.observations if o.code.code == EGFR)
        for order in patient.medications:
            if order.medication.code != METFORMIN:
                continue
            before = [value for when, value in egfrs if when <= order.authored]
            if before:
                checked += 1
                assert before[-1] >= 30, f"{patient.id}: metformine le {order.authored} à DFG {before[-1]}"
    assert checked > 500
    below = sum(any(o.code.code == EGFR and o.value < 30 for o in p.observations)
                and any(m.medication.code == METFORMIN for m in p.medications) for p in histories)
    assert below > 0, "aucun diabétique sous metformine n'atteint un DFG < 30 : règle non éprouvée"


def test_no_contraindicated_drug_during_a_pregnancy(histories: list[model.Patient]) -> None:
    pregnancies = exposed = 0
    for patient in histories:
        for condition in patient.conditions:
            if condition.codes[0].code != "Z34.9":
                continue
            pregnancies += 1
            end = condition.resolved or date.max
            during = [m for m in patient.medications if condition.onset <= m.authored.date() < end]
            wrong = [m.drug_name for m in during if m.medication.code.startswith(NOT_IN_PREGNANCY)]
            assert not wrong, f"{patient.id}: {wrong} pendant la grossesse du {condition.onset}"
            treated_before = {m.medication.code for m in patient.medications if m.authored.date() < condition.onset}
            exposed += any(code.startswith(NOT_IN_PREGNANCY) for code in treated_before)
    assert pregnancies > 300
    assert exposed > 0, "aucune grossesse chez une femme déjà traitée : règle non éprouvée"
