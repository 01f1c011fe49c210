"""The pathway engine's features, one tiny fixture module each (as Synthea's tests/generic).

Also home of the small fakes the other pathway tests share: a simulation context and a
population with a French age pyramid, so these tests never wait for the identity generator.
"""

from __future__ import annotations

import random
import shutil
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path

import pytest

from santelab.errors import SantelabError
from synthetic_data import model
from synthetic_data.pathways import PathwayEngine, PathwayError

FIXTURES = Path(__file__).parents[1] / "fixtures" / "pathways"
ADDRESS = model.Address("1 rue de la Paix", "75002", "Paris", "75102")

# Population of France by age band on 1 January 2024, in thousands, and the share of women
# (INSEE, « Pyramide des âges », bilan démographique 2023, rounded).
PYRAMID = [
    (0, 5, 3500, 0.49), (5, 10, 3850, 0.49), (10, 15, 4150, 0.49), (15, 20, 4150, 0.49),
    (20, 25, 3900, 0.49), (25, 30, 3750, 0.5), (30, 35, 4000, 0.51), (35, 40, 4250, 0.51),
    (40, 45, 4250, 0.5), (45, 50, 4200, 0.5), (50, 55, 4500, 0.51), (55, 60, 4400, 0.51),
    (60, 65, 4150, 0.52), (65, 70, 3900, 0.53), (70, 75, 3700, 0.54), (75, 80, 2850, 0.56),
    (80, 85, 1950, 0.59), (85, 90, 1350, 0.64), (90, 95, 700, 0.71), (95, 100, 250, 0.78),
]


class FakeContext:
    """Professionals and places made on demand, one per (profession, specialty) or kind."""

    def __init__(self) -> None:
        self.made: dict[tuple[str, str | None], model.Practitioner] = {}

    def practitioner(self, rng: random.Random, profession: str, specialty: str | None = None) -> model.Practitioner:
        key = (profession, specialty)
        if key not in self.made:
            n = len(self.made) + 1
            self.made[key] = model.Practitioner(
                f"pra-{n}", f"{10000000000 + n}", "MARTIN", "Claire", model.Sex.FEMALE, profession,
                specialty, f"org-{n}", f"claire.martin{n}@medecin.mssante.fr",
            )
        return self.made[key]

    def organization(self, rng: random.Random, kind: str) -> model.Organization:
        return model.Organization(f"org-{kind}", "750000001", "750000000", f"Établissement {kind}", kind,
                                  ADDRESS, f"accueil@{kind.lower()}.mssante.fr")

    def gp(self, patient: model.Patient) -> model.Practitioner | None:
        return None


def fake_patient(pid: str, sex: model.Sex, birth: date) -> model.Patient:
    identity = model.Identity("DUPONT", ["Camille"], sex, birth, "75056")
    return model.Patient(pid, identity, ADDRESS, "0600000000", f"V{pid}", None)


def fake_population(n: int, seed: int, end: date = date(2026, 1, 1)) -> list[model.Patient]:
    """`n` patients whose ages at `end` and sexes follow the French pyramid."""
    rng = random.Random(seed)
    weights = [band[2] for band in PYRAMID]
    patients = []
    for k in range(n):
        low, high, _, women = rng.choices(PYRAMID, weights)[0]
        age_days = rng.randrange(low * 365, high * 365)
        birth = date.fromordinal(end.toordinal() - age_days - 1)
        sex = model.Sex.FEMALE if rng.random() < women else model.Sex.MALE
        patients.append(fake_patient(f"p{k}", sex, birth))
    return patients


START = date(2016, 1, 1)
END = date(2026, 1, 1)


def engine_for(tmp_path: Path, *names: str) -> PathwayEngine:
    """An engine loaded from a folder holding only the named fixture modules (and shared/)."""
    for name in names:
        shutil.copy(FIXTURES / f"{name}.yaml", tmp_path / f"{name}.yaml")
    shutil.copytree(FIXTURES / "shared", tmp_path / "shared")
    return PathwayEngine.load(tmp_path)


def simulate(engine: PathwayEngine, patient: model.Patient, seed: int = 1) -> model.Patient:
    engine.run(patient, random.Random(seed), FakeContext(), START, END)
    return patient


def codes(patient: model.Patient) -> list[str]:
    return [c.codes[0].code for c in patient.conditions]


def test_guard_waits_for_the_thirtieth_birthday(tmp_path: Path) -> None:
    engine = engine_for(tmp_path, "guard")
    young = simulate(engine, fake_patient("a", model.Sex.MALE, date(1990, 6, 15)))
    assert [e.start.date() for e in young.encounters] == [date(2020, 6, 15)]
    older = simulate(engine, fake_patient("b", model.Sex.MALE, date(1970, 6, 15)))
    assert [e.start.date() for e in older.encounters] == [START]
    child = simulate(engine, fake_patient("c", model.Sex.MALE, date(2000, 6, 15)))
    assert child.encounters == [], "turns 30 after the end of the history"


def test_delay_then_an_encounter_in_office_hours(tmp_path: Path) -> None:
    patient = simulate(engine_for(tmp_path, "delay"), fake_patient("a", model.Sex.FEMALE, date(1980, 1, 1)))
    (encounter,) = patient.encounters
    assert abs((encounter.start.date() - date(2018, 1, 1)).days) <= 1
    assert 8 <= encounter.start.hour < 18
    assert encounter.end - encounter.start == timedelta(minutes=20)
    assert patient.pathways == ["delay"]


def test_distributed_transition_follows_its_probabilities(tmp_path: Path) -> None:
    engine = engine_for(tmp_path, "distributed")
    drawn = [codes(simulate(engine, fake_patient(f"p{k}", model.Sex.MALE, date(1970, 1, 1)), seed=k))[0]
             for k in range(3000)]
    assert abs(drawn.count("I10") / len(drawn) - 0.3) < 0.03
    assert set(drawn) == {"I10", "J45"}


def test_conditional_transition_takes_the_first_match_then_the_fallback(tmp_path: Path) -> None:
    engine = engine_for(tmp_path, "conditional")
    assert codes(simulate(engine, fake_patient("w", model.Sex.FEMALE, date(1950, 1, 1)))) == ["I10"]
    assert codes(simulate(engine, fake_patient("o", model.Sex.MALE, date(1950, 1, 1)))) == ["J45"]
    assert codes(simulate(engine, fake_patient("y", model.Sex.MALE, date(1990, 1, 1)))) == ["E11"]


def test_complex_transition_picks_a_distribution_by_condition(tmp_path: Path) -> None:
    engine = engine_for(tmp_path, "complex")
    men = [codes(simulate(engine, fake_patient(f"m{k}", model.Sex.MALE, date(1960, 1, 1)), seed=k))[0]
           for k in range(400)]
    assert set(men) == {"I10", "E11"}
    assert 0.4 < men.count("I10") / len(men) < 0.6
    assert codes(simulate(engine, fake_patient("w", model.Sex.FEMALE, date(1960, 1, 1)))) == ["J45"]


def test_submodule_runs_inside_the_callers_encounter_then_returns(tmp_path: Path) -> None:
    patient = simulate(engine_for(tmp_path, "submodule"), fake_patient("a", model.Sex.FEMALE, date(1980, 1, 1)))
    (encounter,) = patient.encounters
    assert [(o.code.code, o.value, o.encounter_id) for o in patient.observations] == [
        ("29463-7", 64.0, encounter.id), ("8867-4", 70.0, encounter.id),
    ]


def test_counter_and_attribute_end_a_loop(tmp_path: Path) -> None:
    patient = simulate(engine_for(tmp_path, "counter"), fake_patient("a", model.Sex.FEMALE, date(1980, 1, 1)))
    days = [e.start.date() for e in patient.encounters]
    assert len(days) == 3
    assert [(b - a).days for a, b in pairwise(days)] in ([30, 31], [31, 30], [30, 30], [31, 31])


def test_observation_threshold_on_a_change_within_three_days(tmp_path: Path) -> None:
    patient = simulate(engine_for(tmp_path, "telemonitoring"), fake_patient("a", model.Sex.MALE, date(1940, 1, 1)))
    assert [o.value for o in patient.observations] == [70.0, 72.5]
    (alert,) = patient.encounters
    assert alert.kind == "VR" and alert.reason is not None and alert.reason.code == "I50"
    assert alert.start.date() == START + timedelta(days=2)


def test_document_is_french_text_built_from_the_patient(tmp_path: Path) -> None:
    patient = fake_patient("a", model.Sex.FEMALE, date(1960, 3, 1))
    simulate(engine_for(tmp_path, "document"), patient)
    (document,) = patient.documents
    assert (document.type.code, document.class_code) == ("11488-4", "10")
    assert document.encounter_id == patient.encounters[0].id
    text = document.text
    for expected in ("Madame Camille DUPONT", "55 ans", "01/03/1960", "Hypertension essentielle",
                     "Pression artérielle : 152/88 mmHg (élevé)", "AMLODIPINE 5 mg, gélule", "Dr Claire MARTIN"):
        assert expected in text
    assert "{" not in text
    assert patient.observations[0].interpretation == "H"
    assert patient.medications[0].requester_id == patient.encounters[0].practitioner_id


def test_a_loop_without_time_passing_is_stopped_in_french(tmp_path: Path) -> None:
    engine = engine_for(tmp_path, "zero_time_loop")
    with pytest.raises(PathwayError, match=r"^zero_time_loop\.yaml:(Ping|Pong) : .*sans que le temps avance"):
        simulate(engine, fake_patient("a", model.Sex.MALE, date(1980, 1, 1)))


def test_no_event_after_death(tmp_path: Path) -> None:
    patient = fake_patient("a", model.Sex.FEMALE, date(1980, 1, 1))
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
