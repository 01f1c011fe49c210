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


def _quoted(text: str) -> str:
    """A Python string literal in double quotes, as the course's cells write them."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _literal(value: bool | str) -> str:
    return _quoted(value) if isinstance(value, str) else repr(value)


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

    def classify(self, grade_id: str, *, items: str, answer: str,
                 entries: list[tuple[str, bool | str]], each: str, choices: str | None = None,
                 preamble: str = "", hints: str = "", points: float, competencies: list[str],
                 minutes: int) -> None:
        """A classification question, in three cells: the given list `items`, the dict
        `answer` the student fills (item → one of the set named `choices`, defined in
        `preamble`; item → True/False when `choices` is None), and its tests.

        `entries` keeps each item beside its expected answer; `each` is the message when an
        item is missing or added; `hints` are visible asserts that teach by their message.
        """
        listed = "\n".join(f"    {_quoted(text)}," for text, _ in entries)
        self.code("\n".join(filter(None, [_text(preamble), f"{items} = [\n{listed}\n]"])))
        solved = "\n".join(f"    {items}[{k}]: {_literal(expected)}," for k, (_, expected)
                           in enumerate(entries))
        self.answer(grade_id, f"{answer} = {{\n    ### BEGIN SOLUTION\n{solved}\n"
                              "    ### END SOLUTION\n}")
        if choices is None:
            in_range = (f"assert all(isinstance(v, bool) for v in {answer}.values()), "
                        '"Les réponses sont True ou False."')
        else:
            in_range = (f"inconnues = set({answer}.values()) - {choices}\n"
                        'assert not inconnues, f"Valeurs inconnues : {inconnues}. '
                        f'Choisissez parmi {{sorted({choices})}}."')
        expected = ", ".join(_literal(value) for _, value in entries)
        self.tests(f"{grade_id}-tests", "\n".join(filter(None, [
            f'assert isinstance({answer}, dict), "`{answer}` est un dictionnaire '
            f'{{élément de `{items}` : réponse}}."',
            f'assert set({answer}) == set({items}), "{each}"',
            in_range,
            _text(hints),
            "### BEGIN HIDDEN TESTS",
            f"assert [{answer}[x] for x in {items}] == [{expected}]",
            "### END HIDDEN TESTS",
        ])), points=points, competencies=competencies, minutes=minutes)

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
