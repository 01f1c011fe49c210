"""nbgrader's OverwriteCells and SaveAutoGrades, with the gradebook rows they look up read
once a notebook.

For each graded cell, OverwriteCells asks the gradebook for its source cell and its points,
and SaveAutoGrades for its grade and its comment, committing after each: some thirty queries
and thirty commits a notebook, all under the runner's gradebook lock. Here each step first
reads every row it may look up for the notebook, one query a kind, and nbgrader's own
`preprocess_cell` then finds them there: the same rows, the same checks, the same scores.
SaveAutoGrades commits once, at the end of the notebook, so a notebook's grades are saved
together or not at all.
"""

from __future__ import annotations

from nbgrader.api import (
    Assignment,
    Comment,
    Grade,
    Gradebook,
    GradeCell,
    MissingEntry,
    Notebook,
    SolutionCell,
    SourceCell,
    Student,
    SubmittedAssignment,
    SubmittedNotebook,
    TaskCell,
)
from nbgrader.preprocessors import OverwriteCells, SaveAutoGrades


class _Deferred:
    """A session whose `commit` waits: the step commits once, at its end (queries still see
    the changes made so far, the session flushing them first)."""

    def __init__(self, session):
        self._session = session

    def commit(self) -> None:
        pass

    def __getattr__(self, name):
        return getattr(self._session, name)


class _Prefetched:
    """A gradebook whose `find_*` lookups of one notebook answer from rows read beforehand
    (MissingEntry, as nbgrader's, for a name that has none); the rest is the gradebook's."""

    def __init__(self, gradebook: Gradebook, rows: dict[str, dict[str, object]]):
        self._gradebook = gradebook
        self._rows = rows
        self.db = _Deferred(gradebook.db)

    def _find(self, kind: str, name: str):
        try:
            return self._rows[kind][name]
        except KeyError:
            raise MissingEntry(f"No such {kind}: {name}") from None

    def find_source_cell(self, name, notebook, assignment):
        return self._find("source cell", name)

    def find_graded_cell(self, name, notebook, assignment):
        return self._find("graded cell", name)

    def find_grade(self, name, notebook, assignment, student):
        return self._find("grade", name)

    def find_comment(self, name, notebook, assignment, student):
        return self._find("comment", name)

    def __getattr__(self, name):
        return getattr(self._gradebook, name)


def _by_name(query) -> dict[str, object]:
    return {name: row for row, name in query}


def _cells(gb: Gradebook, cls, notebook: str, assignment: str) -> dict[str, object]:
    return _by_name(gb.db.query(cls, cls.name)
                    .join(Notebook, Notebook.id == cls.notebook_id)
                    .join(Assignment, Assignment.id == Notebook.assignment_id)
                    .filter(Notebook.name == notebook, Assignment.name == assignment))


def _submitted(gb: Gradebook, row, cls, notebook: str, assignment: str, student: str
               ) -> dict[str, object]:
    """A student's grades or comments of one notebook, by the name of their `cls` cell."""
    return _by_name(gb.db.query(row, cls.name)
                    .join(cls, cls.id == row.cell_id)
                    .join(SubmittedNotebook, SubmittedNotebook.id == row.notebook_id)
                    .join(Notebook, Notebook.id == SubmittedNotebook.notebook_id)
                    .join(SubmittedAssignment,
                          SubmittedAssignment.id == SubmittedNotebook.assignment_id)
                    .join(Assignment, Assignment.id == SubmittedAssignment.assignment_id)
                    .join(Student, Student.id == SubmittedAssignment.student_id)
                    .filter(Notebook.name == notebook, Assignment.name == assignment,
                            Student.id == student))


def _first_found(*tables: dict[str, object]) -> dict[str, object]:
    """nbgrader looks a name up in the first table, then the next: the first one wins."""
    merged: dict[str, object] = {}
    for table in reversed(tables):
        merged.update(table)
    return merged


class OverwriteCellsPrefetched(OverwriteCells):
    def preprocess(self, nb, resources):
        meta = resources["nbgrader"]
        self.notebook_id, self.assignment_id = meta["notebook"], meta["assignment"]
        self.db_url = meta["db_url"]
        with Gradebook(self.db_url) as gb:
            ids = (self.notebook_id, self.assignment_id)
            self.gradebook = _Prefetched(gb, {
                "source cell": _cells(gb, SourceCell, *ids),
                "graded cell": _first_found(_cells(gb, GradeCell, *ids), _cells(gb, TaskCell, *ids)),
            })
            nb, resources = super(OverwriteCells, self).preprocess(nb, resources)
            if self.add_missing_cells:
                nb, resources = self.add_missing_grade_cells(nb, resources)
                nb, resources = self.add_missing_task_cells(nb, resources)
        return nb, resources


class SaveAutoGradesPrefetched(SaveAutoGrades):
    def preprocess(self, nb, resources):
        meta = resources["nbgrader"]
        self.notebook_id, self.assignment_id = meta["notebook"], meta["assignment"]
        self.student_id, self.db_url = meta["student"], meta["db_url"]
        with Gradebook(self.db_url) as gb:
            ids = (self.notebook_id, self.assignment_id, self.student_id)
            self.gradebook = _Prefetched(gb, {
                "grade": _first_found(_submitted(gb, Grade, GradeCell, *ids),
                                      _submitted(gb, Grade, TaskCell, *ids)),
                "comment": _first_found(_submitted(gb, Comment, SolutionCell, *ids),
                                        _submitted(gb, Comment, TaskCell, *ids)),
            })
            nb, resources = super(SaveAutoGrades, self).preprocess(nb, resources)
            gb.db.commit()
        return nb, resources
