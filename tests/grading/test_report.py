"""`santelab report`: mastery figures of a small class checked against values computed by
hand, the CSV a spreadsheet reads, and the HTML opened in Debian Chromium with its charts."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_notebook
from nbgrader.api import Gradebook

from grading.classroom import _run
from grading.hostile_corpus import _cell
from santelab.course.framework import COURSE_ROOT

# alice: test 2/2, written answer 3/3; bob: test 0/2, answer not graded yet; carol: 2/2, 1/3.
SCORES = {"alice": (2, 3), "bob": (0, None), "carol": (2, 1)}
# Its tests share one course and one report: on one xdist worker, built once.
pytestmark = pytest.mark.xdist_group("grading-report")


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("rapport")
    shutil.copy(COURSE_ROOT / "competencies.yaml", root)
    (root / "nbgrader_config.py").write_text("c = get_config()  # noqa: F821\n")
    test = _cell("code", "t1", "assert True", grade=True, points=2)
    test.metadata["santelab"] = {"competencies": ["D1.1"], "minutes": 5}
    answer = _cell("markdown", "ecrit", "VOTRE RÉPONSE ICI", grade=True, solution=True,
                   locked=False, points=3)
    answer.metadata["santelab"] = {"competencies": ["D1.1", "D1.5"], "minutes": 10}
    source = root / "source" / "d1_donnees_sante" / "nb.ipynb"
    source.parent.mkdir(parents=True)
    nbformat.write(new_notebook(cells=[test, answer]), source)
    assert _run(["generate_assignment", "d1_donnees_sante"], root).returncode == 0
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        for student, (auto, manual) in SCORES.items():
            gb.add_student(student)
            gb.add_submission("d1_donnees_sante", student)
            grades = {g.name: g for g in gb.find_submission_notebook(
                "nb", "d1_donnees_sante", student).grades}
            grades["t1"].auto_score = auto
            grades["t1"].needs_manual_grade = False
            grades["ecrit"].manual_score = manual
            grades["ecrit"].needs_manual_grade = manual is None
        gb.db.commit()
    done = subprocess.run([sys.executable, "-m", "santelab", "report", "--all", "--course",
                           str(root), "--out", str(root / "rapports")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return root


def test_csv_has_hand_computed_mastery(course):
    with open(course / "rapports" / "competences.csv", encoding="utf-8-sig") as handle:
        rows = {(r["etudiant"], r["competence"]): r for r in csv.DictReader(handle)}
    expected = {  # (earned, graded points, mastery %, cells awaiting a grade)
        ("alice", "D1.1"): ("5", "5", "100.0", "0"), ("alice", "D1.5"): ("3", "3", "100.0", "0"),
        ("bob", "D1.1"): ("0", "2", "0.0", "1"), ("bob", "D1.5"): ("0", "0", "", "1"),
        ("carol", "D1.1"): ("3", "5", "60.0", "0"), ("carol", "D1.5"): ("1", "3", "33.3", "0"),
    }
    found = {key: (r["points"], r["points_notes"], r["maitrise_pct"], r["cellules_a_noter"])
             for key, r in rows.items()}
    assert found == expected


def test_cohort_page_shows_figures(course):
    page = (course / "rapports" / "promotion.html").read_text(encoding="utf-8")
    assert "8 / 12" in page  # D1 for the class: (5 + 0 + 3) / (5 + 2 + 5)
    assert "67 %" in page
    assert "1 à noter" in page  # bob's written answer
    for student in SCORES:
        assert (course / "rapports" / "etudiants" / f"{student}.html").exists()
    assert "non noté" in (course / "rapports" / "etudiants" / "bob.html").read_text()


@pytest.mark.browser
def test_report_opens_in_chromium_with_charts(course, page):
    page.goto((course / "rapports" / "promotion.html").as_uri())
    images = page.locator("img")
    assert images.count() == 3
    widths = page.evaluate("Array.from(document.images).map(i => i.naturalWidth)")
    assert all(width > 100 for width in widths), widths
    assert "Compétences — promotion" in page.title()
