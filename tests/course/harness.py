"""Grade the course's notebooks with the real nbgrader, in a temporary copy of the course.

One run per assignment: `nbgrader generate_assignment`, then one `nbgrader autograde` for every
fake student at once: "solution" (the source's solutions pasted into the answer cells of the
student version, nothing else edited), "blank" (the student version untouched) and, for each
stated rule of `wrong_answers/<assignment>/<notebook>.yaml`, one student who breaks that rule
(`faux-<notebook>-<rule>`, submitting that notebook only). Scores are read from the gradebook.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook

from santelab.course.catalog import Exercise, exercises, source_notebooks
from santelab.course.check import load_wrong_answers
from santelab.course.framework import COURSE_ROOT
from santelab.course.sources import materialize

HERE = Path(__file__).resolve().parent
WRONG_ANSWERS = HERE / "wrong_answers"
NBGRADER = [sys.executable, "-m", "nbgrader"]
# A kernel whose random TCP port another process took meanwhile fails to start (jupyter_client
# picks free ports, then binds them): an accident of the loaded machine, not of the notebook,
# so the assignment is autograded once more. Any other failure stands.
KERNEL_PORT_CLASH = "Address already in use"
# A bounded time per cell, so that one hanging cell fails the test instead of the suite.
CELL_TIMEOUT = 60

NOTEBOOKS = source_notebooks()
ASSIGNMENTS = sorted({assignment for assignment, _ in NOTEBOOKS})


def wrong_answers(assignment: str, notebook: str) -> dict[str, dict[str, str]]:
    """`rule id -> {answer grade_id -> what a student breaking that rule writes}`."""
    return load_wrong_answers(COURSE_ROOT, assignment, notebook)


def wrong_student(notebook: str, rule: str) -> str:
    return f"faux-{notebook.split('_')[0]}-{rule}"


def solutions(nb: nbformat.NotebookNode) -> dict[str, str]:
    """Answer cells of a source notebook with the solution markers removed."""
    found = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            lines = [
                line for line in cell.source.splitlines()
                if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION")
            ]
            found[meta["grade_id"]] = "\n".join(lines)
    return found


def fill(release: nbformat.NotebookNode, answers: dict[str, str]) -> nbformat.NotebookNode:
    """A copy of the student version whose answer cells are replaced as a student would."""
    nb = nbformat.from_dict(release)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution") and grade_id in answers:
            cell.source = answers[grade_id]
    return nb


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    # nbgrader runs `alembic` from PATH: put this venv's scripts first.
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    env = {**os.environ, "PATH": path, "PYTHONHASHSEED": "0"}
    return subprocess.run(
        [*NBGRADER, *args, f"--Execute.timeout={CELL_TIMEOUT}"],
        cwd=cwd, env=env, capture_output=True, text=True, check=False,
    )


@dataclass
class Score:
    score: float
    max_score: float
    autograded: bool


@dataclass
class GradedAssignment:
    root: Path
    generate: subprocess.CompletedProcess
    autograde: subprocess.CompletedProcess
    scores: dict[tuple[str, str], dict[str, Score]]  # (student, notebook) -> grade id -> score
    exercises: dict[str, list[Exercise]]  # notebook -> autograded exercises

    def log(self) -> str:
        """What a failing test prints: every ERROR block of nbgrader's log (a student's
        traceback can sit far from the end), then its tail."""
        text = "\n".join([self.generate.stdout, self.generate.stderr, self.autograde.stdout,
                          self.autograde.stderr])
        errors: list[str] = []
        shown_until = 0
        for match in re.finditer(r"^.*(ERROR|Traceback).*$", text, re.MULTILINE):
            if match.start() >= shown_until and len(errors) < 8:
                errors.append(text[match.start():match.start() + 4000])
                shown_until = match.start() + 4000
        return "\n[...]\n".join([*errors, text[-4000:]])


def grade_assignment(assignment: str, workdir: Path) -> GradedAssignment:
    """Copy the course, release the assignment, autograde the three fake students."""
    shutil.copy(COURSE_ROOT / "nbgrader_config.py", workdir / "nbgrader_config.py")
    shutil.copytree(COURSE_ROOT / "source" / assignment, workdir / "source" / assignment,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "*.ipynb"))
    materialize(workdir / "source")
    generate = _run(["generate_assignment", assignment, "--force"], workdir)
    scores: dict[tuple[str, str], dict[str, Score]] = {}
    found: dict[str, list[Exercise]] = {}
    if generate.returncode != 0:
        return GradedAssignment(workdir, generate, generate, scores, found)
    for path in sorted((workdir / "release" / assignment).glob("*.ipynb")):
        release = nbformat.read(path, as_version=4)
        source = nbformat.read(workdir / "source" / assignment / path.name, as_version=4)
        found[path.stem] = exercises(source)
        versions = {
            "solution": fill(release, solutions(source)),
            "blank": release,
            **{wrong_student(path.stem, rule): fill(release, answers)
               for rule, answers in wrong_answers(assignment, path.stem).items()},
        }
        for student, nb in versions.items():
            target = workdir / "submitted" / student / assignment / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, target)
    autograde = _run(["autograde", assignment, "--force"], workdir)
    if autograde.returncode != 0 and KERNEL_PORT_CLASH in autograde.stderr:
        autograde = _run(["autograde", assignment, "--force"], workdir)  # once, see above
    with Gradebook(f"sqlite:///{workdir / 'gradebook.db'}") as gb:
        for student in sorted(p.name for p in (workdir / "submitted").iterdir()):
            for notebook in found:
                try:
                    submitted = gb.find_submission_notebook(notebook, assignment, student)
                except Exception:  # a notebook the grader did not record: the test says so
                    continue
                scores[(student, notebook)] = {
                    grade.name: Score(grade.score, grade.max_score,
                                      grade.cell.cell_type == "code")
                    for grade in submitted.grades
                }
    return GradedAssignment(workdir, generate, autograde, scores, found)
