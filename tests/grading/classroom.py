"""A small class in a temporary copy of the course: released assignment, submitted copies.

Built with the real nbgrader (`generate_assignment`) and the course harness's answers: a
"solution" copy, a "blank" one and a "wrong" one (every rule broken) per notebook, under any student ids.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
from course.harness import _run, fill, solutions, wrong_answers
from nbgrader.api import Gradebook

from santelab.course.framework import COURSE_ROOT
from santelab.course.sources import materialize

KINDS = ("solution", "blank", "wrong")


def release(workdir: Path, assignment: str) -> list[Path]:
    """Copy the course's config and source of `assignment`, generate the student version."""
    workdir.mkdir(parents=True, exist_ok=True)
    shutil.copy(COURSE_ROOT / "nbgrader_config.py", workdir / "nbgrader_config.py")
    shutil.copytree(COURSE_ROOT / "source" / assignment, workdir / "source" / assignment,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "*.ipynb"),
                    dirs_exist_ok=True)
    materialize(workdir / "source")
    done = _run(["generate_assignment", assignment, "--force"], workdir)
    assert done.returncode == 0, done.stderr[-3000:]
    return sorted((workdir / "release" / assignment).glob("*.ipynb"))


def version(workdir: Path, assignment: str, release_path: Path, kind: str):
    nb = nbformat.read(release_path, as_version=4)
    source = nbformat.read(workdir / "source" / assignment / release_path.name, as_version=4)
    if kind == "solution":
        return fill(nb, solutions(source))
    if kind == "wrong":  # every stated rule broken at once
        wrong = wrong_answers(assignment, release_path.stem)
        return fill(nb, {gid: code for answers in wrong.values() for gid, code in answers.items()})
    return nb


def submit(workdir: Path, assignment: str, students: dict[str, str]) -> None:
    """Write each student's copy: `students` maps a student id to one of KINDS."""
    for path in release(workdir, assignment) if not (workdir / "release" / assignment).exists() \
            else sorted((workdir / "release" / assignment).glob("*.ipynb")):
        for student, kind in students.items():
            target = workdir / "submitted" / student / assignment / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(version(workdir, assignment, path, kind), target)


def autograde_with_nbgrader(workdir: Path, assignment: str):
    return _run(["autograde", assignment, "--force"], workdir)


def scores(workdir: Path, assignment: str) -> dict[tuple[str, str, str], tuple]:
    """(student, notebook, grade id) -> (auto_score, max_score) for every graded cell."""
    found = {}
    with Gradebook(f"sqlite:///{workdir / 'gradebook.db'}") as gb:
        for submission in gb.find_assignment(assignment).submissions:
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    found[(submission.student.id, notebook.name, grade.name)] = (
                        grade.auto_score, grade.max_score)
    return found
