"""The package's own pathways: what every generated history must satisfy."""

from __future__ import annotations

import random
import re
from datetime import date, datetime, time, timedelta

import pytest

from synthetic_data import model, referentials
from synthetic_data.pathways import REFERENCE_END, PathwayEngine, history_start
from synthetic_data.pathways.calibration import StubContext, bare_patient, pyramid_sample
from synthetic_data.pathways.pathway import Pathway
from synthetic_data.pathways.states import CallSubmodule, Encounter
from synthetic_data.terminology import SYSTEMS

ENGINE = PathwayEngine.load()
FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
DOCUMENT_CLASSES = {  # LOINC type → J57 class, as the DMP expects them
    "11488-4": "10", "11490-0": "10", "34112-3": "10", "11502-2": "10",
    "57833-6": "42", "18748-4": "31", "60591-5": "11",
}


def simulate(patients: list[model.Patient], salt: str) -> list[model.Patient]:
    ctx = StubContext()
    for patient in patients:
        ENGINE.run(patient, random.Random(f"{salt}:{patient.id}"), ctx)
    return patients


@pytest.fixture(scope="module")
def sample() -> list[model.Patient]:
    return simulate(pyramid_sample(600, seed=5), "histories")


def resources(patient: model.Patient) -> list:
    return [*patient.encounters, *patient.conditions, *patient.observations, *patient.medications,
            *patient.immunizations, *patient.documents]


def all_pathways() -> list[Pathway]:
    found, todo = {}, list(ENGINE.pathways)
    while todo:
        pathway = todo.pop()
        found[pathway.key] = pathway
        todo += [s.submodule for s in pathway.states.values()
                 if isinstance(s, CallSubmodule) and s.submodule and s.submodule.key not in found]
    return list(found.values())


def test_same_seed_same_history_other_seed_other_history() -> None:
    first = simulate(pyramid_sample(40, seed=9), "same")
    again = simulate(pyramid_sample(40, seed=9), "same")
    other = simulate(pyramid_sample(40, seed=9), "other")
    assert first == again
    assert [resources(p) for p in first] != [resources(p) for p in other]


def test_ids_are_unique_and_valid_fhir_ids(sample: list[model.Patient]) -> None:
    ids = [r.id for p in sample for r in resources(p)]
    assert len(ids) == len(set(ids))
    assert all(FHIR_ID.fullmatch(i) for i in ids)


def test_events_stay_inside_the_history_window(sample: list[model.Patient]) -> None:
    end = datetime.combine(REFERENCE_END, time())
    for patient in sample:
        start = datetime.combine(history_start(patient.identity.birth_date), time())
        for encounter in patient.encounters:
            assert start <= encounter.start < end and encounter.end >= encounter.start
        for observation in patient.observations:
            assert start <= observation.effective < end
        for condition in patient.conditions:
            assert patient.identity.birth_date <= condition.onset < REFERENCE_END
            assert condition.resolved is None or condition.resolved >= condition.onset


def test_codes_units_and_documents_are_well_formed(sample: list[model.Patient]) -> None:
    for patient in sample:
        codings = [c for cond in patient.conditions for c in cond.codes]
        codings += [o.code for o in patient.observations] + [m.medication for m in patient.medications]
        codings += [i.vaccine for i in patient.immunizations] + [d.type for d in patient.documents]
        assert all(c.system in SYSTEMS and c.code and c.display for c in codings)
        assert all(c.codes[0].system == "cim10" for c in patient.conditions)
        for obs in patient.observations:
            assert (obs.value is not None and obs.unit) or (obs.components and all(u for _, _, u in obs.components))
        for doc in patient.documents:
            assert DOCUMENT_CLASSES[doc.type.code] == doc.class_code
            assert "{" not in doc.text and patient.identity.birth_date.strftime("%d/%m/%Y") in doc.text
        for encounter in patient.encounters:
            assert encounter.practitioner_id and encounter.organization_id


def test_every_patient_has_a_history_of_believable_size(sample: list[model.Patient]) -> None:
    counts = [len(resources(p)) for p in sample]
    assert 100 <= sum(counts) / len(counts) <= 200
    assert max(counts) < 1500, "a history must stay bounded"
    one_year = date(REFERENCE_END.year - 1, REFERENCE_END.month, REFERENCE_END.day)
    for patient in sample:  # the dead may have died before their first check-up
        if patient.identity.birth_date <= one_year and patient.deceased is None:
            assert "wellness" in patient.pathways and len(resources(patient)) >= 3, patient.id


def test_french_calendar_vaccines_and_documents_appear(sample: list[model.Patient]) -> None:
    vaccines = {i.vaccine.code for p in sample for i in p.immunizations}
    assert {"J07CA09", "J07BD52", "J07CA02", "J07BB02"} <= vaccines
    assert set(DOCUMENT_CLASSES) == {d.type.code for p in sample for d in p.documents}
    elderly_flu = [p for p in sample if p.identity.birth_date < date(1950, 1, 1)]
    assert sum(any(i.vaccine.code == "J07BB02" for i in p.immunizations) for p in elderly_flu) > len(elderly_flu) / 2


def test_pathways_cite_sources_and_use_referential_codes() -> None:
    professions, specialties = referentials.professions(), referentials.specialties()
    kinds = referentials.establishment_types()
    for pathway in all_pathways():
        assert pathway.remarks, f"{pathway.file}: remarks (sources) manquantes"
        for state in pathway.states.values():
            if isinstance(state, Encounter):
                assert state.profession in professions, (pathway.file, state.name)
                assert state.specialty is None or state.specialty in specialties, (pathway.file, state.name)
                assert state.organization_kind is None or state.organization_kind in kinds


def test_heart_failure_telemonitoring_is_bounded_and_alerts_on_weight_gain() -> None:
    elderly = [bare_patient(f"hf{k}", model.Sex.MALE if k % 2 else model.Sex.FEMALE, date(1935 + k % 10, 3, 1))
               for k in range(500)]
    monitored = [p for p in simulate(elderly, "hf") if any(o.encounter_id is None for o in p.observations)]
    assert len(monitored) >= 5, "too few telemonitored patients to check anything"
    alerts = 0
    for patient in monitored:
        home = [o for o in patient.observations if o.encounter_id is None]
        assert len(home) <= 3 * 30, "one window of at most 30 readings of weight, heart rate, pressure"
        weights = [o for o in patient.observations if o.code.code == "29463-7"]  # clinic and home
        for encounter in patient.encounters:
            if encounter.kind == "VR":
                alerts += 1
                *earlier, trigger = [w for w in weights if w.effective <= encounter.start]
                window = [w for w in earlier if trigger.effective - w.effective <= timedelta(days=3)]
                assert any(trigger.value - w.value > 2 for w in window or earlier[-1:]), (
                    "an alert follows a gain of more than 2 kg in 3 days")
    assert alerts > 0


def test_infant_vaccines_follow_the_calendar_in_office_hours(sample: list[model.Patient]) -> None:
    def months(born: date, day: date) -> int:
        return (day.year - born.year) * 12 + day.month - born.month - (day.day < born.day)

    hexavalent = [(p.identity.birth_date, i.date) for p in sample for i in p.immunizations
                  if i.vaccine.code == "J07CA09"]
    assert hexavalent
    assert {months(born, day) for born, day in hexavalent} <= {2, 4, 11}
    assert all(8 <= e.start.hour < 18 for p in sample for e in p.encounters if e.kind == "AMB")
