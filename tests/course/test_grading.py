"""Every notebook of `modules/source/` executes, and grades as it should with the real nbgrader.

Notebooks are discovered: a new assignment folder is covered without editing this file. Each
one needs its wrong answers in `wrong_answers/<assignment>/<notebook>.yaml`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from nbclient import NotebookClient

from course.harness import CELL_TIMEOUT, NOTEBOOKS, wrong_answers
from santelab.course.catalog import exercises
from santelab.course.sources import notebook

# The first graded test of an assignment runs nbgrader generate + autograde on all its
# notebooks for three students (minutes each on a loaded machine): past the global timeout.
pytestmark = pytest.mark.timeout(3600)

CASES = [
    pytest.param(assignment, path, id=f"{assignment}/{path.stem}",
                 marks=[pytest.mark.xdist_group(name=assignment)])
    for assignment, path in NOTEBOOKS
]


def test_course_has_notebooks():
    assert CASES, "aucun notebook trouvé sous modules/source/"


@pytest.mark.notebook
@pytest.mark.parametrize(("assignment", "path"), CASES)
def test_source_notebook_executes(assignment: str, path: Path, tmp_path: Path):
    nb = notebook(path)
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError, naming the cell, on any failure


@pytest.mark.parametrize(("assignment", "path"), CASES)
def test_every_exercise_has_a_wrong_answer(assignment: str, path: Path):
    found = exercises(notebook(path))
    wrong = wrong_answers(assignment, path.stem)
    answers = {a for exercise in found for a in exercise.answer_ids}
    assert not set(wrong) - answers, f"réponses fausses pour des cellules inconnues : {set(wrong) - answers}"
    missing = [e.test_id for e in found if not set(e.answer_ids) & set(wrong)]
    assert not missing, f"exercices sans réponse fausse dans wrong_answers/: {missing}"
    assert all(e.answer_ids for e in found), "cellule de tests sans cellule réponse avant elle"


def _scores(graded, assignment: str, student: str, notebook: str):
    result = graded(assignment)
    assert result.generate.returncode == 0, result.log()
    assert result.autograde.returncode == 0, result.log()
    assert (student, notebook) in result.scores, f"{student}: non noté\n{result.log()}"
    return result, result.scores[(student, notebook)]


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.parametrize(("assignment", "path"), CASES)
def test_solution_gets_full_marks(graded, assignment: str, path: Path):
    result, scores = _scores(graded, assignment, "solution", path.stem)
    auto = {gid: s for gid, s in scores.items() if s.autograded}
    assert {e.test_id for e in result.exercises[path.stem]} == set(auto)
    below = {gid: (s.score, s.max_score) for gid, s in auto.items() if s.score != s.max_score}
    assert not below, f"la solution perd des points : {below}"
    assert all(s.max_score > 0 for s in auto.values())


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.parametrize(("assignment", "path"), CASES)
def test_blank_student_version_scores_zero(graded, assignment: str, path: Path):
    _, scores = _scores(graded, assignment, "blank", path.stem)
    auto = {gid: s.score for gid, s in scores.items() if s.autograded}
    assert auto and all(score == 0 for score in auto.values()), auto


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.parametrize(("assignment", "path"), CASES)
def test_wrong_answers_lose_points(graded, assignment: str, path: Path):
    result, scores = _scores(graded, assignment, "wrong", path.stem)
    full = {e.test_id for e in result.exercises[path.stem]
            if scores[e.test_id].score >= scores[e.test_id].max_score}
    assert not full, f"réponses fausses notées au maximum : {sorted(full)}"
