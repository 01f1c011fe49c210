"""Tiny courses written as trainers write them (MyST Markdown sources), for the tests of the
course tooling: the real framework, one notebook whose cells the test chooses."""

from __future__ import annotations

from pathlib import Path

import jupytext
import nbformat

from santelab.course.framework import COURSE_ROOT
from santelab.course.sources import FORMAT

TITLE = "# D5 · Notebook 1 — Un essai\n\nSource : [HAS](https://www.has-sante.fr/)."


def md(text: str, **metadata) -> nbformat.NotebookNode:
    return nbformat.v4.new_markdown_cell(text, metadata=metadata)


def code(text: str, **metadata) -> nbformat.NotebookNode:
    return nbformat.v4.new_code_cell(text, metadata=metadata)


def answer(grade_id: str, solution: str = "x = 1") -> nbformat.NotebookNode:
    return code(f"### BEGIN SOLUTION\n{solution}\n### END SOLUTION",
                nbgrader={"grade_id": grade_id, "solution": True})


def autograded(grade_id: str, competencies: list[str], *, minutes: int = 10, points: float = 2,
          rules: tuple[str, ...] = ("r",), extension: bool = False) -> nbformat.NotebookNode:
    ours = {"competencies": competencies, "minutes": minutes, "rules": list(rules)}
    if extension:
        ours["extension"] = True
    return code("assert x == 1", nbgrader={"grade_id": grade_id, "grade": True, "points": points},
                santelab=ours)


def write_course(root: Path, cells: list[nbformat.NotebookNode], *,
                 assignment: str = "d5_telesante", name: str = "01_essai",
                 wrong: str | None = None) -> Path:
    """The course folder `root` (real competencies.yaml) with one source notebook, and its
    wrong answers file (YAML text) under `root/../tests/course/wrong_answers/` if given."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "competencies.yaml").write_text(
        (COURSE_ROOT / "competencies.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    path = root / "source" / assignment / f"{name}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    jupytext.write(nbformat.v4.new_notebook(cells=cells), path, fmt=FORMAT)
    if wrong is not None:
        target = root.parent / "tests" / "course" / "wrong_answers" / assignment / f"{name}.yaml"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(wrong, encoding="utf-8")
    return root
