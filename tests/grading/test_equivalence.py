"""`santelab grade` gives the scores `nbgrader autograde` gives, cell by cell, on every
notebook of the course (a full solution, a blank copy and wrong answers per notebook).

The reference is the course tests' own nbgrader run of each assignment (`graded`, cached per
test worker): this test lands in the same xdist group as them, so the course is autograded by
nbgrader once per suite, not twice.
"""

from __future__ import annotations

import shutil

import pytest
from course.conftest import graded  # noqa: F401  (the course tests' fixture, shared)
from course.harness import ASSIGNMENTS

from grading.classroom import _run, scores
from grading.conftest import grade_args
from santelab.grading.command import grade

pytestmark = [pytest.mark.slow, pytest.mark.notebook, pytest.mark.timeout(3600)]


@pytest.mark.parametrize("assignment", [
    pytest.param(a, marks=pytest.mark.xdist_group(name=a)) for a in ASSIGNMENTS])
def test_same_scores_as_nbgrader(assignment, graded, tmp_path, bwrap):  # noqa: F811
    reference = graded(assignment)
    assert reference.autograde.returncode == 0, reference.log()
    ours = tmp_path / "santelab"
    ours.mkdir()
    shutil.copy(reference.root / "nbgrader_config.py", ours)
    for folder in ("source", "submitted"):
        shutil.copytree(reference.root / folder, ours / folder)
    released = _run(["generate_assignment", assignment, "--force"], ours)
    assert released.returncode == 0, released.stderr[-3000:]
    outcomes = grade(ours, assignment, grade_args(workers=1))  # the suite fills both cores
    assert not [o.error for o in outcomes if o.error]
    expected = scores(reference.root, assignment)
    found = scores(ours, assignment)
    assert expected, "nbgrader n'a rien noté"
    differences = {key: (found.get(key), expected.get(key))
                   for key in expected.keys() | found.keys() if found.get(key) != expected.get(key)}
    assert not differences, f"(santelab, nbgrader) diffèrent : {differences}"
    for outcome in outcomes:
        assert (ours / "autograded" / outcome.student / assignment).is_dir()
