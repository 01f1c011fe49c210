"""The pathway engine's features, one tiny fixture module each (as Synthea's tests/generic)."""

from __future__ import annotations

import random
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from synthetic_data import model
from synthetic_data.errors import SantelabError
from synthetic_data.pathways import PathwayEngine, PathwayError
from synthetic_data.pathways.calibration import StubContext, bare_patient

FIXTURES = Path(__file__).parents[1] / "fixtures" / "pathways"


START = date(2016, 1, 1)
END = date(2026, 1, 1)


def engine_for(tmp_path: Path, *names: str) -> PathwayEngine:
    """An engine loaded from a folder holding only the named fixture modules (and shared/)."""
    for name in names:
        shutil.copy(FIXTURES / f"{name}.yaml", tmp_path / f"{name}.yaml")
    shutil.copytree(FIXTURES / "shared", tmp_path / "shared")
    return PathwayEngine.load(tmp_path)


def simulate(engine: PathwayEngine, patient: model.Patient, seed: int = 1) -> model.Patient:
    engine.run(patient, random.Random(seed), StubContext(), START, END)
    return patient


def codes(patient: model.Patient) -> list[str]:
    return [c.codes[0].code for c in patient.conditions]


def test_guard_waits_for_the_thirtieth_birthday(tmp_path: Path) -> None:
    engine = engine_for(tmp_path, "guard")
    young = simulate(engine, bare_patient("a", model.Sex.MALE, date(1990, 6, 15)))
    assert [e.start.date() for e in young.encounters] == [date(2020, 6, 15)]
    older = simulate(engine, bare_patient("b", model.Sex.MALE, date(1970, 6, 15)))
    assert [e.start.date() for e in older.encounters] == [START]
    child = simulate(engine, bare_patient("c", model.Sex.MALE, date(2000, 6, 15)))
    assert child.encounters == [], "turns 30 after the end of the history"


def test_delay_then_an_encounter_in_office_hours(tmp_path: Path) -> None:
    patient = simulate(engine_for(tmp_path, "delay"), bare_patient("a", model.Sex.FEMALE, date(1980, 1, 1)))
    (encounter,) = patient.encounters
    assert encounter.start.date() == date(2018, 1, 1), "two calendar years after the start"
    assert 8 <= encounter.start.hour < 18
    assert encounter.end - encounter.start == timedelta(minutes=20)
    assert patient.pathways == ["delay"]


def test_distributed_transition_follows_its_probabilities(tmp_path: Path) -> None:
    engine = engine_for(tmp_path, "distributed")
    drawn = [codes(simulate(engine, bare_patient(f"p{k}", model.Sex.MALE, date(1970, 1, 1)), seed=k))[0]
             for k in range(3000)]
    assert abs(drawn.count("I10") / len(drawn) - 0.3) < 0.03
    assert set(drawn) == {"I10", "J45.9"}


def test_conditional_transition_takes_the_first_match_then_the_fallback(tmp_path: Path) -> None:
    engine = engine_for(tmp_path, "conditional")
    assert codes(simulate(engine, bare_patient("w", model.Sex.FEMALE, date(1950, 1, 1)))) == ["I10"]
    assert codes(simulate(engine, bare_patient("o", model.Sex.MALE, date(1950, 1, 1)))) == ["J45.9"]
    assert codes(simulate(engine, bare_patient("y", model.Sex.MALE, date(1990, 1, 1)))) == ["E11.9"]


def test_complex_transition_picks_a_distribution_by_condition(tmp_path: Path) -> None:
    engine = engine_for(tmp_path, "complex")
    men = [codes(simulate(engine, bare_patient(f"m{k}", model.Sex.MALE, date(1960, 1, 1)), seed=k))[0]
           for k in range(400)]
    assert set(men) == {"I10", "E11.9"}
    assert 0.4 < men.count("I10") / len(men) < 0.6
    assert codes(simulate(engine, bare_patient("w", model.Sex.FEMALE, date(1960, 1, 1)))) == ["J45.9"]


def test_submodule_runs_inside_the_callers_encounter_then_returns(tmp_path: Path) -> None:
    patient = simulate(engine_for(tmp_path, "submodule"), bare_patient("a", model.Sex.FEMALE, date(1980, 1, 1)))
    (encounter,) = patient.encounters
    assert [(o.code.code, o.value, o.encounter_id) for o in patient.observations] == [
        ("29463-7", 64.0, encounter.id), ("8867-4", 70.0, encounter.id),
    ]


def test_counter_and_attribute_end_a_loop(tmp_path: Path) -> None:
    patient = simulate(engine_for(tmp_path, "counter"), bare_patient("a", model.Sex.FEMALE, date(1980, 1, 1)))
    assert [e.start.date() for e in patient.encounters] == [date(2016, 1, 1), date(2016, 2, 1), date(2016, 3, 1)]
    assert patient.encounters[0].id == "a-enc-1" and patient.encounters[2].id == "a-enc-3"


def test_observation_threshold_on_a_change_within_three_days(tmp_path: Path) -> None:
    patient = simulate(engine_for(tmp_path, "telemonitoring"), bare_patient("a", model.Sex.MALE, date(1940, 1, 1)))
    assert [o.value for o in patient.observations] == [70.0, 72.5]
    (alert,) = patient.encounters
    assert alert.kind == "VR" and alert.reason is not None and alert.reason.code == "I50.9"
    assert alert.start.date() == START + timedelta(days=2)


def test_document_is_french_text_built_from_the_patient(tmp_path: Path) -> None:
    patient = bare_patient("a", model.Sex.FEMALE, date(1960, 3, 1))
    engine = engine_for(tmp_path, "document")
    simulate(engine, patient)
    (document,) = patient.documents
    assert (document.type.code, document.class_code) == ("11488-4", "10")
    assert document.encounter_id == patient.encounters[0].id
    text = document.text
    for expected in ("Madame DUPONT CAMILLE", "55 ans", "née le 01/03/1960", "Hypertension essentielle",
                     "Pression artérielle : 152/88 mmHg (élevé)", "AMLODIPINE 5 mg, gélule", "Dr Claire MARTIN"):
        assert expected in text
    assert "{" not in text
    assert patient.observations[0].interpretation == "H"
    married = bare_patient("b", model.Sex.FEMALE, date(1960, 3, 1))
    married.identity.used_name = "Martin"
    simulate(engine, married)
    # RNIV: the birth name and first given name first, the used name beside them
    assert "Madame DUPONT CAMILLE (nom utilisé : Martin)" in married.documents[0].text
    assert patient.medications[0].requester_id == patient.encounters[0].practitioner_id


def test_a_loop_without_time_passing_is_stopped_in_french(tmp_path: Path) -> None:
    engine = engine_for(tmp_path, "zero_time_loop")
    with pytest.raises(PathwayError, match=r"^zero_time_loop\.yaml:(Ping|Pong) : .*sans que le temps avance"):
        simulate(engine, bare_patient("a", model.Sex.MALE, date(1980, 1, 1)))


def test_no_event_after_death(tmp_path: Path) -> None:
    patient = bare_patient("a", model.Sex.FEMALE, date(1980, 1, 1))
    patient.deceased = date(2017, 1, 1)
    simulate(engine_for(tmp_path, "delay"), patient)
    assert patient.encounters == []


@pytest.mark.parametrize(
    ("fixture", "state", "problem"),
    [
        ("unknown_state_type", "Visit", "type d'état inconnu « Consultation »"),
        ("missing_transition", "Wait", "aucune transition"),
        ("unknown_target", "Initial", "transition vers l'état inconnu « Nowhere »"),
        ("probabilities", "Draw", "les probabilités font 0.9 au lieu de 1"),
        ("unreachable", "Orphan", "état inaccessible depuis Initial"),
        ("unknown_condition", "Check", "type de condition inconnu « Horoscope »"),
        ("unknown_code", "Onset", "code « Z99.9 » absent de la liste cim10"),
        ("unknown_submodule", "Call", "sous-module inconnu « shared/absent »"),
        ("unknown_field", "Wait", "champ(s) inconnu(s) pour Delay : recheck"),
    ],
)
def test_malformed_pathway_names_file_state_and_problem_in_french(
    tmp_path: Path, fixture: str, state: str, problem: str
) -> None:
    shutil.copy(FIXTURES / "invalid" / f"{fixture}.yaml", tmp_path / f"{fixture}.yaml")
    with pytest.raises(PathwayError) as caught:
        PathwayEngine.load(tmp_path)
    message = str(caught.value)
    assert message.startswith(f"{fixture}.yaml:{state} : ")
    assert problem in message
    assert isinstance(caught.value, SantelabError)


def test_malformed_yaml_names_the_file_and_line(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "invalid" / "malformed.yaml", tmp_path / "malformed.yaml")
    with pytest.raises(PathwayError, match=r"^malformed\.yaml : YAML mal formé \(ligne \d+\)"):
        PathwayEngine.load(tmp_path)


def test_missing_directory_is_a_french_error(tmp_path: Path) -> None:
    with pytest.raises(PathwayError, match="dossier de parcours introuvable"):
        PathwayEngine.load(tmp_path / "absent")


def test_renew_reorders_current_treatments_only(tmp_path: Path) -> None:
    patient = simulate(engine_for(tmp_path, "renewal"), bare_patient("a", model.Sex.MALE, date(1960, 1, 1)))
    first, second, third = patient.encounters
    by_visit = {e.id: [m.medication.code for m in patient.medications if m.encounter_id == e.id]
                for e in (first, second, third)}
    assert by_visit == {first.id: ["C09AA05", "J01CA04"], second.id: ["C09AA05"], third.id: []}
    renewed = patient.medications[2]
    assert (renewed.dosage, renewed.duration_days, renewed.requester_id) == (
        "1 comprimé par jour", 90, second.practitioner_id)


def test_condition_backdated_known_once_then_ended(tmp_path: Path) -> None:
    patient = simulate(engine_for(tmp_path, "condition_lifecycle"), bare_patient("a", model.Sex.MALE, date(1960, 1, 1)))
    (condition,) = patient.conditions
    assert [c.system for c in condition.codes] == ["cim10", "snomed"]
    assert date(2013, 1, 1) <= condition.onset <= date(2014, 1, 1)
    assert condition.resolved == date(2017, 1, 1)
    assert condition.encounter_id is None


def test_backdated_onset_never_precedes_birth(tmp_path: Path) -> None:
    patient = simulate(engine_for(tmp_path, "condition_lifecycle"), bare_patient("a", model.Sex.MALE, date(2015, 6, 1)))
    assert patient.conditions[0].onset == date(2016, 1, 1) or patient.conditions[0].onset >= date(2015, 6, 1)


def test_month_guard_waits_for_october_each_year(tmp_path: Path) -> None:
    # Born 1990: the life table leaves this patient alive over the whole history (seed 1).
    patient = simulate(engine_for(tmp_path, "campaign"), bare_patient("a", model.Sex.MALE, date(1990, 1, 1)))
    assert patient.deceased is None
    assert [e.start.date().replace(day=1) for e in patient.encounters] == [date(y, 10, 1) for y in range(2016, 2026)]


def test_order_outside_an_encounter_is_a_french_error_naming_the_state(tmp_path: Path) -> None:
    engine = engine_for(tmp_path, "no_encounter")
    with pytest.raises(PathwayError, match=r"^no_encounter\.yaml:Prescribe : .*exige une rencontre en cours"):
        simulate(engine, bare_patient("a", model.Sex.MALE, date(1960, 1, 1)))


def test_a_user_folder_may_bring_its_own_templates(tmp_path: Path) -> None:
    (tmp_path / "documents").mkdir()
    (tmp_path / "documents" / "consultation.txt").write_text("Vu {civilite} {patient} le {date}.", encoding="utf-8")
    patient = simulate(engine_for(tmp_path, "document"), bare_patient("a", model.Sex.MALE, date(1960, 3, 1)))
    assert patient.documents[0].text == "Vu Monsieur DUPONT CAMILLE le 01/01/2016."


def test_a_template_with_an_unknown_field_is_refused(tmp_path: Path) -> None:
    (tmp_path / "documents").mkdir()
    (tmp_path / "documents" / "consultation.txt").write_text("Groupe sanguin : {groupe}", encoding="utf-8")
    with pytest.raises(PathwayError, match=r"^document\.yaml:Report : modèle « consultation » : champ \{groupe\} inconnu"):
        engine_for(tmp_path, "document")


def test_a_folder_is_parsed_once_until_one_of_its_files_changes(tmp_path: Path) -> None:
    first = engine_for(tmp_path, "guard")
    again = PathwayEngine.load(tmp_path)
    assert again.pathways == first.pathways and again.pathways is not first.pathways
    assert all(a is b for a, b in zip(again.pathways, first.pathways, strict=True))
    spec = tmp_path / "guard.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("name: guard", "name: guard modifié", 1),
                    encoding="utf-8")
    edited = PathwayEngine.load(tmp_path)
    assert edited.pathways[0] is not first.pathways[0]
    assert [p.name for p in edited.pathways] == ["guard modifié"]
    spec.write_text("name: [cassé", encoding="utf-8")
    for _ in range(2):  # a broken folder is refused on every load, never served from before
        with pytest.raises(PathwayError):
            PathwayEngine.load(tmp_path)
