"""Fixtures of the course tests: one real nbgrader run per assignment, shared by its tests."""

from __future__ import annotations

import pytest

from course.harness import GradedAssignment, grade_assignment

_graded: dict[str, GradedAssignment] = {}


@pytest.fixture(scope="session")
def graded(tmp_path_factory: pytest.TempPathFactory):
    """`graded(assignment)` grades the assignment once per test worker and caches the result."""

    def get(assignment: str) -> GradedAssignment:
        if assignment not in _graded:
            _graded[assignment] = grade_assignment(assignment, tmp_path_factory.mktemp(assignment))
        return _graded[assignment]

    return get
