"""Fixtures of the course tests: one real nbgrader run per assignment, shared by its tests;
the students' release of the whole course, built once per test worker."""

from __future__ import annotations

import pytest

from course.harness import GradedAssignment, grade_assignment
from santelab.course.framework import COURSE_ROOT
from santelab.workspace import released_course

_graded: dict[str, GradedAssignment] = {}


@pytest.fixture(scope="session")
def graded(tmp_path_factory: pytest.TempPathFactory):
    """`graded(assignment)` grades the assignment once per test worker and caches the result."""

    def get(assignment: str) -> GradedAssignment:
        if assignment not in _graded:
            _graded[assignment] = grade_assignment(assignment, tmp_path_factory.mktemp(assignment))
        return _graded[assignment]

    return get


@pytest.fixture(scope="session")
def released(tmp_path_factory: pytest.TempPathFactory):
    """The released course (nbgrader `generate_assignment` of every assignment), as
    `santelab lab` builds it under its data folder (`<data>/cours/release-<digest>`)."""
    return released_course(COURSE_ROOT, tmp_path_factory.mktemp("cours"),
                           progress=lambda _line: None)
