"""`santelab grade`: every submission of an assignment, graded into nbgrader's gradebook.

One submission (a student's notebooks of the assignment) is one unit of work, done by one
worker: nbgrader's `init_assignment` (student, submission, timestamp, missing notebooks at
zero), then for each notebook the sanitize steps, a fresh kernel, the autograde steps. The
gradebook is touched under one lock; kernels run in parallel. Results go to a staging folder
and are moved into `autograded/` in one rename once the submission is complete: a run killed
at any moment leaves every submission either graded (its folder is there, so a restart skips
it, as nbgrader does) or not (a restart grades it from scratch).
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook
from nbgrader.converters import Autograde
from tqdm import tqdm

from santelab.grading import engines, pipeline
from santelab.grading.course import STAGING, Course, Submission
from santelab.grading.steps import TAMPERING


@dataclass
class NotebookOutcome:
    student: str
    notebook: str
    status: str  # "note", "echec" (unreadable / no grades), "temps", "triche"
    seconds: float
    incidents: list[dict] = field(default_factory=list)
    score: float = 0.0
    max_score: float = 0.0


@dataclass
class SubmissionOutcome:
    student: str
    assignment: str
    seconds: float
    notebooks: list[NotebookOutcome]
    error: str | None = None  # the whole submission failed (and stays ungraded)


def status_of(incidents: list[dict]) -> str:
    kinds = {i["kind"] for i in incidents}
    if "illisible" in kinds:
        return "echec"
    if kinds & TAMPERING:
        return "triche"
    if kinds & {"temps_depasse", "temps_cellule"}:
        return "temps"
    return "note"


class Runner:
    """Grades submissions with one `execute(nb, resources)` per worker thread."""

    def __init__(self, course: Course, assignment: str, settings, execute_factory: Callable,
                 workers: int):
        engines.share_engines()  # nbgrader's steps reopen the gradebook several times a notebook
        self.course = course
        self.assignment = assignment
        self.settings = settings
        self.execute_factory = execute_factory  # () -> execute(nb, resources) for one thread
        self.workers = workers
        self.db_lock = threading.Lock()
        self.local = threading.local()
        self.staging = course.staging_coursedir()
        self.converter = Autograde(coursedir=self.staging, parent=course.app)
        self.steps = pipeline.build_steps(self.converter, settings)
        folder = course.root / course.coursedir.release_directory / assignment
        self.release = {p.stem: pipeline.released(p) for p in folder.glob("*.ipynb")}
        self.journal = course.root / STAGING / "journal.jsonl"

    def pending(self, submissions: list[Submission], force: bool) -> list[Submission]:
        if force:
            return submissions
        return [s for s in submissions
                if not self.course.autograded(s.student, s.assignment).exists()]

    def run(self, submissions: list[Submission], progress: bool = True) -> list[SubmissionOutcome]:
        total = sum(len(s.notebooks) for s in submissions)
        bar = tqdm(total=total, unit="nb", desc=f"Notation {self.assignment}", disable=not progress,
                   dynamic_ncols=True)
        outcomes = []
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="grade") as pool:
            futures = [pool.submit(self.grade_submission, s, bar.update) for s in submissions]
            for future in as_completed(futures):
                outcomes.append(future.result())
        bar.close()
        return sorted(outcomes, key=lambda o: o.student)

    # --- one submission ------------------------------------------------------------------

    def _execute(self):
        if not hasattr(self.local, "execute"):
            self.local.execute = self.execute_factory()
        return self.local.execute

    def grade_submission(self, submission: Submission, advance: Callable[[int], object]
                         ) -> SubmissionOutcome:
        started = time.monotonic()
        student, assignment = submission.student, submission.assignment
        staged = self.course.staged(student, assignment)
        results: list[NotebookOutcome] = []
        try:
            with self.db_lock:
                shutil.rmtree(staged, ignore_errors=True)
                staged.mkdir(parents=True)
                self.converter.notebooks = [str(p) for p in submission.notebooks]
                self.converter.init_assignment(assignment, student)
                known = {Path(p).stem for p in self.converter.notebooks}
            for path in submission.notebooks:
                if path.stem in known:
                    results.append(self.grade_notebook(submission, path, staged))
                advance(1)
            with self.db_lock:
                self._fill_scores(submission, results)
                self._finalize(submission, staged)
        except Exception as exc:  # one submission's failure never stops the others
            shutil.rmtree(staged, ignore_errors=True)
            return SubmissionOutcome(student, assignment, time.monotonic() - started, results,
                                     error=f"{type(exc).__name__}: {exc}".splitlines()[0])
        return SubmissionOutcome(student, assignment, time.monotonic() - started, results)

    def grade_notebook(self, submission: Submission, path: Path, staged: Path
                       ) -> NotebookOutcome:
        started = time.monotonic()
        resources = pipeline.resources_for(self.course.db_url, submission.student,
                                           submission.assignment, path,
                                           self.release.get(path.stem, pipeline.NOT_RELEASED))
        try:
            nb = pipeline.read_submitted(path, resources)
            with self.db_lock:
                nb, resources = pipeline.run(self.steps.sanitize, nb, resources)
            nb, resources = self._execute()(nb, resources)
            with self.db_lock:
                nb, resources = pipeline.run(self.steps.finish, nb, resources)
            nbformat.write(nb, staged / path.name)
        except pipeline.Unreadable:
            with self.db_lock:
                self._zero(submission, path.stem)
        incidents = resources["santelab"]["incidents"]
        return NotebookOutcome(submission.student, path.stem, status_of(incidents),
                               time.monotonic() - started, incidents)

    def _zero(self, submission: Submission, notebook: str) -> None:
        with Gradebook(self.course.db_url) as gb:
            graded = gb.find_submission_notebook(notebook, submission.assignment,
                                                 submission.student)
            for grade in graded.grades:
                grade.auto_score = 0.0
                grade.needs_manual_grade = grade.cell.cell_type != "code"
            gb.db.commit()

    def _fill_scores(self, submission: Submission, results: list[NotebookOutcome]) -> None:
        with Gradebook(self.course.db_url) as gb:
            for result in results:
                graded = gb.find_submission_notebook(result.notebook, submission.assignment,
                                                     submission.student)
                result.score, result.max_score = graded.score, graded.max_score

    def _finalize(self, submission: Submission, staged: Path) -> None:
        """Move the staged folder into autograded/ in one rename, then note it."""
        target = self.course.autograded(submission.student, submission.assignment)
        self.converter.set_permissions(submission.assignment, submission.student)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():  # --force: the previous grading is replaced
            old = staged.with_name(f"{staged.name}.old")
            os.replace(target, old)
            os.replace(staged, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staged, target)
        with open(self.journal, "a", encoding="utf-8") as journal:
            journal.write(json.dumps({"student": submission.student,
                                      "assignment": submission.assignment,
                                      "pid": os.getpid(), "time": time.time()}) + "\n")
            journal.flush()
            os.fsync(journal.fileno())
