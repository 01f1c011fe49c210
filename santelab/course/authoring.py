"""Build nbgrader notebooks from Python, so that their grading metadata is exact.

Used by the build scripts in `modules/build/`. Every cell gets a stable id (its grade id), so
rebuilding an unchanged notebook gives an identical file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from textwrap import dedent

import nbformat
from nbformat import NotebookNode

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def _nbgrader(grade_id: str, *, grade: bool, solution: bool, locked: bool,
              points: float | None = None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked,
            "schema_version": 3, "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return meta


def _text(source: str) -> str:
    return dedent(source).strip("\n")


@dataclass
class NotebookBuilder:
    """Collects the cells of one notebook; read-only cells get ids `<prefix>-<n>`."""

    prefix: str
    cells: list[NotebookNode] = field(default_factory=list)

    def _locked_id(self) -> str:
        return f"{self.prefix}-{len(self.cells):02d}"

    def md(self, source: str) -> None:
        """A read-only instruction cell (restored by the grader if a student edits it)."""
        gid = self._locked_id()
        self.cells.append(nbformat.v4.new_markdown_cell(
            _text(source), id=gid,
            metadata={"nbgrader": _nbgrader(gid, grade=False, solution=False, locked=True)},
        ))

    def code(self, source: str) -> None:
        """A read-only code cell (set-up, given data, demonstrations)."""
        gid = self._locked_id()
        self.cells.append(nbformat.v4.new_code_cell(
            _text(source), id=gid,
            metadata={"nbgrader": _nbgrader(gid, grade=False, solution=False, locked=True)},
        ))

    def answer(self, grade_id: str, source: str) -> None:
        """A code cell the student fills; the solution sits between BEGIN/END SOLUTION."""
        source = _text(source)
        if "### BEGIN SOLUTION" not in source:
            raise ValueError(f"{grade_id}: answer cell without a solution region")
        self.cells.append(nbformat.v4.new_code_cell(
            source, id=grade_id,
            metadata={"nbgrader": _nbgrader(grade_id, grade=False, solution=True, locked=False)},
        ))

    def tests(self, grade_id: str, source: str, *, points: float, competencies: list[str],
              minutes: int) -> None:
        """Autograder tests: visible asserts with French feedback, then hidden ones."""
        self.cells.append(nbformat.v4.new_code_cell(
            _text(source), id=grade_id,
            metadata={
                "nbgrader": _nbgrader(grade_id, grade=True, solution=False, locked=True,
                                      points=points),
                "santelab": {"competencies": competencies, "minutes": minutes},
            },
        ))

    def free_text(self, grade_id: str, *, rubric: list[tuple[float, str]], solution: str,
                  competencies: list[str], minutes: int) -> None:
        """A manually graded free-text answer; the rubric stays visible in the cell."""
        points = sum(p for p, _ in rubric)
        lines = [f"- {p:g} pt : {criterion}" for p, criterion in rubric]
        source = "\n".join([
            f"**Barème ({points:g} points)**", "", *lines, "", "**Votre réponse :**", "",
            "### BEGIN SOLUTION", _text(solution), "### END SOLUTION",
        ])
        self.cells.append(nbformat.v4.new_markdown_cell(
            source, id=grade_id,
            metadata={
                "nbgrader": _nbgrader(grade_id, grade=True, solution=True, locked=False,
                                      points=points),
                "santelab": {"competencies": competencies, "minutes": minutes,
                             "rubric": [{"points": p, "criterion": c} for p, c in rubric]},
            },
        ))

    def notebook(self) -> NotebookNode:
        nb = nbformat.v4.new_notebook(cells=self.cells)
        nb.metadata["kernelspec"] = KERNELSPEC
        nb.metadata["language_info"] = {"name": "python"}
        nbformat.validate(nb)
        return nb


_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def write(nb: NotebookNode, path: Path) -> None:
    """Write a notebook after checking that ids are unique and valid."""
    ids = [cell.id for cell in nb.cells]
    bad = [i for i in ids if not _ID.match(i)]
    dupes = {i for i in ids if ids.count(i) > 1}
    if bad or dupes:
        raise ValueError(f"{path}: invalid cell ids {bad}, duplicated {sorted(dupes)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


# How graded exercises work, told at the top of every service-backed notebook.
INTRO_TESTS = '''
Chaque exercice se termine par une cellule de tests : les tests visibles vous disent si
vous êtes sur la bonne voie ; d'autres tests, cachés, servent à la note finale.
Les patients et les professionnels sont **fictifs** : ils viennent du bac à sable santelab.
'''
