"""OverwriteCellsPrefetched and SaveAutoGradesPrefetched leave the same notebook and the same
gradebook rows as nbgrader's OverwriteCells and SaveAutoGrades, on a submission that tries
every branch of theirs: an edited locked cell, changed points, a changed cell type, an unknown
cell, a task, a manual grade already given, a failing test, an untouched answer."""

from __future__ import annotations

import copy
import os
import shutil
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from nbgrader import utils
from nbgrader.api import Gradebook
from nbgrader.preprocessors import OverwriteCells, SaveAutoGrades, SaveCells

from santelab.grading.steps.prefetch import OverwriteCellsPrefetched, SaveAutoGradesPrefetched

NOTEBOOK, ASSIGNMENT, STUDENT = "carnet", "devoir", "etu001"


def _cell(make, source: str, **nbgrader) -> nbformat.NotebookNode:
    cell = make(source)
    cell.metadata.nbgrader = {"grade": False, "solution": False, "locked": False,
                              "schema_version": 3, **nbgrader}
    return cell


def _source() -> nbformat.NotebookNode:
    """The released notebook, its checksums computed as generate_assignment does."""
    nb = new_notebook(cells=[
        _cell(new_code_cell, "import math", grade_id="preparation", locked=True),
        _cell(new_code_cell, "reponse = None", grade_id="reponse", solution=True),
        _cell(new_code_cell, "assert reponse == 4", grade_id="test_reponse", grade=True,
              locked=True, points=2),
        _cell(new_code_cell, "assert math.pi > 3", grade_id="test_pi", grade=True, locked=True,
              points=1),
        _cell(new_markdown_cell, "Expliquez.", grade_id="explication", solution=True,
              grade=True, points=3),
        _cell(new_markdown_cell, "Tracez la courbe.", grade_id="tache", task=True, points=1),
        _cell(new_code_cell, "x = 1", grade_id="libre", solution=True),
    ])
    for cell in nb.cells:
        cell.metadata.nbgrader["checksum"] = utils.compute_checksum(cell)
    return nb


def _submission(source: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb = copy.deepcopy(source)
    cells = {c.metadata.nbgrader["grade_id"]: c for c in nb.cells}
    cells["preparation"].source = "import os; os.remove('grades.db')"  # edited locked cell
    cells["reponse"].source = "reponse = 4"
    cells["test_reponse"].metadata.nbgrader["points"] = 20  # points raised
    cells["test_pi"].outputs = [new_output("error", ename="AssertionError", evalue="",
                                           traceback=[])]
    cells["libre"].cell_type = "markdown"  # type changed
    del cells["libre"]["outputs"], cells["libre"]["execution_count"]
    cells["explication"].source = "Parce que."
    nb.cells.append(_cell(new_code_cell, "print(1)", grade_id="inconnue", solution=True))
    return nb


@pytest.fixture
def gradebooks(tmp_path: Path, monkeypatch) -> tuple[str, str]:
    """Two identical gradebooks holding the released notebook and the student's submission,
    with a manual grade already given to the explanation."""
    # A new gradebook asks the `alembic` command for its revision: this environment's own.
    monkeypatch.setenv("PATH", os.pathsep.join([str(Path(sys.executable).parent),
                                                os.environ["PATH"]]))
    first = tmp_path / "nbgrader.db"
    url = f"sqlite:///{first}"
    resources = {"nbgrader": {"notebook": NOTEBOOK, "assignment": ASSIGNMENT, "db_url": url}}
    with Gradebook(url) as gb:
        gb.add_assignment(ASSIGNMENT)
    SaveCells().preprocess(_source(), resources)
    with Gradebook(url) as gb:
        gb.add_student(STUDENT)
        gb.add_submission(ASSIGNMENT, STUDENT)
        gb.find_grade("explication", NOTEBOOK, ASSIGNMENT, STUDENT).manual_score = 2
        gb.db.commit()
    second = tmp_path / "prefetched.db"
    shutil.copy(first, second)
    return url, f"sqlite:///{second}"


def _resources(url: str) -> dict:
    return {"nbgrader": {"notebook": NOTEBOOK, "assignment": ASSIGNMENT, "student": STUDENT,
                         "db_url": url}}


def _rows(url: str) -> list[tuple]:
    with Gradebook(url) as gb:
        submitted = gb.find_submission_notebook(NOTEBOOK, ASSIGNMENT, STUDENT)
        grades = sorted((g.name, g.auto_score, g.manual_score, g.needs_manual_grade)
                        for g in submitted.grades)
        comments = sorted((c.name, c.auto_comment) for c in submitted.comments)
        return grades + comments


def test_overwrite_cells_leaves_the_same_notebook(gradebooks) -> None:
    theirs, ours = gradebooks
    submitted = _submission(_source())
    expected, _ = OverwriteCells().preprocess(copy.deepcopy(submitted), _resources(theirs))
    got, _ = OverwriteCellsPrefetched().preprocess(copy.deepcopy(submitted), _resources(ours))
    assert got == expected
    restored = {c.metadata.nbgrader.get("grade_id"): c for c in got.cells}
    assert restored["preparation"].source == "import math"
    assert restored["test_reponse"].metadata.nbgrader["points"] == 2
    assert restored["libre"].cell_type == "code"
    assert None in restored  # the unknown cell lost its grade_id, as nbgrader does


def test_overwrite_cells_adds_missing_cells_back_the_same_way(gradebooks) -> None:
    theirs, ours = gradebooks
    submitted = _submission(_source())
    submitted.cells = [c for c in submitted.cells
                       if c.metadata.nbgrader.get("grade_id") not in ("test_pi", "tache", "inconnue")]
    results = []
    for step, url in ((OverwriteCells(add_missing_cells=True), theirs),
                      (OverwriteCellsPrefetched(add_missing_cells=True), ours)):
        results.append(step.preprocess(copy.deepcopy(submitted), _resources(url))[0])
    assert results[0] == results[1]
    assert len(results[0].cells) == len(submitted.cells) + 2


def test_save_auto_grades_writes_the_same_rows(gradebooks) -> None:
    theirs, ours = gradebooks
    submitted, _ = OverwriteCells().preprocess(_submission(_source()), _resources(theirs))
    # nbgrader's CheckCellMetadata stops a notebook with an answer cell that lost its id
    submitted.cells = [c for c in submitted.cells if "grade_id" in c.metadata.nbgrader]
    before = _rows(ours)
    SaveAutoGrades().preprocess(copy.deepcopy(submitted), _resources(theirs))
    SaveAutoGradesPrefetched().preprocess(copy.deepcopy(submitted), _resources(ours))
    after = _rows(ours)
    assert after == _rows(theirs)
    assert after != before
    grades = {row[0]: row[1:] for row in after if len(row) == 4}
    assert grades["test_reponse"] == (2.0, None, False)
    assert grades["test_pi"] == (0.0, None, False)
    assert grades["explication"] == (None, 2.0, True)  # already graded by hand: to review
