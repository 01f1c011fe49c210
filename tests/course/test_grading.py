"""Every notebook of `modules/source/` grades as it should with the real nbgrader.

Notebooks are discovered: a new assignment folder is covered without editing this file. That
each one executes is nbval's part (`make test` runs `pytest --nbval-lax modules/source`); that
each stated rule has its wrong answers is `santelab course check`'s (tests/course/test_check.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from course.harness import NOTEBOOKS, wrong_answers, wrong_student

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
def test_each_rule_broken_loses_points(graded, assignment: str, path: Path):
    """A student who breaks one stated rule (and only fills answer cells) loses points on every
    test cell that names the rule: no loophole earns full marks."""
    wrong = wrong_answers(assignment, path.stem)
    assert wrong, "aucune réponse fausse : santelab course check le signale"
    result = graded(assignment)
    kept = {}
    for rule in wrong:
        _, scores = _scores(graded, assignment, wrong_student(path.stem, rule), path.stem)
        aimed = [e.test_id for e in result.exercises[path.stem] if rule in e.rules]
        assert aimed, f"règle {rule} nommée par aucune cellule de tests"
        full = [t for t in aimed if scores[t].score >= scores[t].max_score]
        if full:
            kept[rule] = full
    assert not kept, f"réponses fausses notées au maximum : {kept}"
