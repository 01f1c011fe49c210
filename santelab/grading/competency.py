"""Competency mastery from nbgrader's gradebook and the course's competency metadata.

Every graded cell of the source notebooks names its competencies (`metadata["santelab"]`);
a cell's points count fully for each competency it names. A manually graded cell counts once
a grader scored it; until then it is "ungraded" and left out of the mastery ratio.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.api import Gradebook

from santelab.course.catalog import GradedCell, course_cells
from santelab.course.framework import Framework


@dataclass
class Mastery:
    earned: float = 0.0
    graded_max: float = 0.0  # points of the cells already graded
    ungraded: int = 0  # cells awaiting a manual grade

    @property
    def ratio(self) -> float | None:
        return self.earned / self.graded_max if self.graded_max else None

    def add(self, earned: float | None, points: float) -> None:
        if earned is None:
            self.ungraded += 1
        else:
            self.earned += earned
            self.graded_max += points


@dataclass
class ClassMastery:
    students: list[str]
    # student -> competency -> Mastery, and student -> domain -> Mastery
    competencies: dict[str, dict[str, Mastery]] = field(default_factory=dict)
    domains: dict[str, dict[str, Mastery]] = field(default_factory=dict)
    totals: dict[str, Mastery] = field(default_factory=dict)

    def cohort(self, table: str) -> dict[str, Mastery]:
        summed: dict[str, Mastery] = defaultdict(Mastery)
        for per_student in getattr(self, table).values():
            for key, m in per_student.items():
                summed[key].earned += m.earned
                summed[key].graded_max += m.graded_max
                summed[key].ungraded += m.ungraded
        return dict(summed)


def _earned(grade) -> float | None:
    if grade.manual_score is not None:
        return grade.manual_score + (grade.extra_credit or 0)
    if grade.needs_manual_grade or grade.auto_score is None:
        return None
    return grade.auto_score + (grade.extra_credit or 0)


def mastery(db_url: str, root: Path, framework: Framework, assignments: list[str] | None
            ) -> ClassMastery:
    cells: dict[tuple[str, str, str], GradedCell] = {
        (c.assignment, c.notebook, c.grade_id): c for c in course_cells(root)
        if assignments is None or c.assignment in assignments
    }
    result = ClassMastery(students=[])
    with Gradebook(db_url) as gb:
        result.students = sorted(s.id for s in gb.students)
        for student in result.students:
            per_comp: dict[str, Mastery] = defaultdict(Mastery)
            per_domain: dict[str, Mastery] = defaultdict(Mastery)
            total = Mastery()
            for assignment in {a for a, _, _ in cells}:
                try:
                    submission = gb.find_submission(assignment, student)
                except Exception:  # not submitted: nothing to count
                    continue
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        cell = cells.get((assignment, notebook.name, grade.name))
                        if cell is None:
                            continue
                        earned = _earned(grade)
                        total.add(earned, cell.points)
                        for code in cell.competencies:
                            per_comp[code].add(earned, cell.points)
                        for domain in sorted({framework.domain_of(c) for c in cell.competencies}):
                            per_domain[domain].add(earned, cell.points)
            result.competencies[student] = dict(per_comp)
            result.domains[student] = dict(per_domain)
            result.totals[student] = total
    return result
