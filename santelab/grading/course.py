"""The nbgrader course a grading run works on: its configuration, gradebook and submissions.

Loaded the way `nbgrader autograde` loads it (same config files, same CourseDirectory), so
that both grade with the same settings. Every problem is one French line, before anything is
written.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.apps.autogradeapp import AutogradeApp
from nbgrader.coursedir import CourseDirectory
from sqlalchemy.exc import SQLAlchemyError

from synthetic_data.errors import SantelabError

STAGING = ".santelab-grade"  # beside autograded/: notebooks being graded, moved in when done


@dataclass
class Submission:
    student: str
    assignment: str
    notebooks: list[Path]  # the submitted .ipynb files (maybe not even JSON)


@dataclass
class Course:
    root: Path
    app: AutogradeApp  # holds the loaded config; parent of every nbgrader object we make
    coursedir: CourseDirectory

    @property
    def config(self):
        return self.app.config

    @property
    def db_url(self) -> str:
        return self.coursedir.db_url

    def staging_coursedir(self) -> CourseDirectory:
        """The same course, whose 'autograded' folder is the staging one."""
        staged = CourseDirectory(parent=self.app, root=str(self.root))
        staged.autograded_directory = f"{STAGING}/staging"
        staged.assignment_id = self.coursedir.assignment_id
        return staged

    def autograded(self, student: str, assignment: str) -> Path:
        return Path(self.coursedir.format_path(self.coursedir.autograded_directory, student,
                                               assignment))

    def staged(self, student: str, assignment: str) -> Path:
        return self.root / STAGING / "staging" / student / assignment


def open_course(root: Path) -> Course:
    root = root.resolve()
    if not (root / "nbgrader_config.py").is_file():
        raise SantelabError(
            f"{root} n'est pas la racine d'un cours nbgrader (nbgrader_config.py absent) : "
            "lancez la commande depuis le dossier du cours ou donnez-le avec --course"
        )
    # Errors only: nbgrader warns about config files it looks for in the current folder,
    # and about every cell it checks; our summary says what matters.
    app = AutogradeApp(log_level=logging.ERROR)
    try:
        app.initialize([], root=str(root))
    except SystemExit:
        raise SantelabError(f"configuration nbgrader illisible : {root / 'nbgrader_config.py'}") from None
    coursedir = app.coursedir
    coursedir.root = str(root)
    return Course(root, app, coursedir)


def check_gradebook(course: Course, assignment: str) -> list[str]:
    """The assignment's notebook names, from a readable gradebook that knows it."""
    db = Path(course.db_url.removeprefix("sqlite:///")) if course.db_url.startswith(
        "sqlite:///") else None
    if db is not None:
        if not db.exists():
            raise SantelabError(
                f"carnet de notes introuvable ({db}) : lancez d'abord "
                f"`nbgrader generate_assignment {assignment}`"
            )
        try:  # read-write, never creating: a grader killed mid-write leaves a hot journal
            # that only a writer may roll back (read-only, SQLite answers "readonly database")
            with sqlite3.connect(f"file:{db}?mode=rw", uri=True) as probe:
                probe.execute("SELECT count(*) FROM assignment").fetchone()
        except sqlite3.Error as exc:
            raise SantelabError(f"carnet de notes illisible ({db}) : {exc}") from None
    try:
        with Gradebook(course.db_url, course.coursedir.course_id) as gb:
            try:
                found = gb.find_assignment(assignment)
            except MissingEntry:
                known = ", ".join(a.name for a in gb.assignments) or "aucun"
                raise SantelabError(
                    f"devoir inconnu du carnet de notes : {assignment} (devoirs connus : {known})"
                ) from None
            return [nb.name for nb in found.notebooks]
    except SQLAlchemyError as exc:
        raise SantelabError(f"carnet de notes illisible : {exc}".splitlines()[0]) from None


def find_submissions(course: Course, assignment: str, students: list[str] | None
                     ) -> list[Submission]:
    submitted = course.root / course.coursedir.submitted_directory
    folders = sorted(p for p in submitted.glob(f"*/{assignment}") if p.is_dir())
    if students:
        wanted = set(students)
        unknown = wanted - {p.parent.name for p in folders}
        if unknown:
            raise SantelabError(
                f"aucune copie de {', '.join(sorted(unknown))} pour le devoir {assignment}"
            )
        folders = [p for p in folders if p.parent.name in wanted]
    if not folders:
        raise SantelabError(f"aucune copie rendue pour le devoir {assignment} (dans {submitted})")
    return [Submission(p.parent.name, assignment, sorted(p.glob("*.ipynb"))) for p in folders]

