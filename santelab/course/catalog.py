"""What the course's source notebooks contain: graded cells, their points and competencies.

Reads only the notebooks' metadata: nbgrader's (`metadata["nbgrader"]`) and ours
(`metadata["santelab"] = {"competencies": [...], "minutes": n}` on every graded cell).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from santelab.course.framework import COURSE_ROOT
from santelab.course.sources import notebook, source_files


@dataclass(frozen=True, slots=True)
class GradedCell:
    assignment: str
    notebook: str  # file stem, as nbgrader names notebooks
    grade_id: str
    autograded: bool  # autograder tests (code) vs manually graded answer
    points: float
    competencies: tuple[str, ...]
    minutes: int
    extension: bool = False  # a "Pour aller plus loin" exercise: graded, outside the core hours


@dataclass(slots=True)
class Exercise:
    """An autograded test cell and the answer cells it checks (those since the previous one)."""

    test_id: str
    points: float
    answer_ids: list[str] = field(default_factory=list)
    rules: tuple[str, ...] = ()  # the stated rules its hidden tests check (`santelab.rules`)


def source_notebooks(root: Path = COURSE_ROOT) -> list[tuple[str, Path]]:
    """Every (assignment, source text) under `source/`, sorted."""
    return source_files(root)


def _meta(cell: nbformat.NotebookNode) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def graded_cells(assignment: str, path: Path) -> list[GradedCell]:
    nb = notebook(path)
    cells = []
    for cell in nb.cells:
        meta = _meta(cell)
        if not meta.get("grade"):
            continue
        ours = cell.get("metadata", {}).get("santelab", {})
        cells.append(
            GradedCell(
                assignment=assignment,
                notebook=path.stem,
                grade_id=meta["grade_id"],
                autograded=not meta.get("solution", False),
                points=float(meta.get("points", 0)),
                competencies=tuple(ours.get("competencies", ())),
                minutes=int(ours.get("minutes", 0)),
                extension=bool(ours.get("extension", False)),
            )
        )
    return cells


def course_cells(root: Path = COURSE_ROOT) -> list[GradedCell]:
    return [c for a, p in source_notebooks(root) for c in graded_cells(a, p)]


def exercises(nb: nbformat.NotebookNode) -> list[Exercise]:
    """Autograded exercises in notebook order, each with the answer cells it follows.

    Several test cells in a row after one answer all check that answer.
    """
    found: list[Exercise] = []
    pending: list[str] = []
    for cell in nb.cells:
        meta = _meta(cell)
        if meta.get("solution") and cell.cell_type == "code":
            pending.append(meta["grade_id"])
        elif meta.get("grade") and not meta.get("solution"):
            answers = pending or (found[-1].answer_ids if found else [])
            rules = tuple(cell.get("metadata", {}).get("santelab", {}).get("rules", ()))
            found.append(Exercise(meta["grade_id"], float(meta.get("points", 0)), answers, rules))
            pending = []
    return found
