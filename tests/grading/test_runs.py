"""The command as a trainer runs it: killed mid-run and restarted, two at once, bad input."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from grading import hostile_corpus as corpus
from grading.classroom import _run, scores
from santelab.course.framework import COURSE_ROOT

pytestmark = pytest.mark.slow

SANTELAB = [sys.executable, "-m", "santelab"]
CLASS = {f"etudiant{i:02d}": corpus.KINDS["honnete" if i % 2 else "test_modifie"]
         for i in range(12)}
# Enough for a run to be killed half-way; the other tests grade a class of four.
SMALL = dict(list(CLASS.items())[:4])


def make_course(root: Path, assignments: tuple[str, ...], students: dict = SMALL) -> Path:
    corpus.write_course(root, assignments)
    for assignment in assignments:
        released = _run(["generate_assignment", assignment], root)
        assert released.returncode == 0, released.stderr[-2000:]
        corpus.build(root / "release" / assignment / f"{corpus.NOTEBOOK}.ipynb", root, students,
                     assignment)
    return root


def start(root: Path, assignment: str, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([*SANTELAB, "grade", assignment, "--course", str(root), "--quiet",
                             "--workers", "2", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def check_class(root: Path, assignment: str, students: dict = SMALL) -> None:
    found = scores(root, assignment)
    for student, kind in students.items():
        total = sum(s or 0 for (who, _, _), (s, _) in found.items() if who == student)
        assert total == kind.score, (student, total)  # CLASS holds deterministic kinds only
        assert (root / "autograded" / student / assignment).is_dir()


def _process(pid: int) -> psutil.Process | None:
    try:
        return psutil.Process(pid)
    except psutil.NoSuchProcess:
        return None


def test_killed_grader_restarts_without_grading_twice_or_losing(tmp_path, bwrap):
    root = make_course(tmp_path, (corpus.ASSIGNMENT,), CLASS)
    journal = root / ".santelab-grade" / "journal.jsonl"
    first = start(root, corpus.ASSIGNMENT)
    deadline = time.monotonic() + 600
    while not (journal.exists() and len(journal.read_text().splitlines()) >= 3):
        assert first.poll() is None, first.communicate()
        assert time.monotonic() < deadline, "rien de noté en 10 min"
        time.sleep(0.2)
    tree = [first.pid, *(p.pid for p in psutil.Process(first.pid).children(recursive=True))]
    os.killpg(first.pid, signal.SIGKILL)
    first.communicate()
    # What the killed grader left (sandboxed workers in sessions of their own) dies with it;
    # the restart comes once it has, not while the old gradebook connections are closing.
    _, alive = psutil.wait_procs([p for p in map(_process, tree) if p], timeout=60)
    assert not alive, f"processus du correcteur tué encore en vie : {alive}"
    for left in Path("/tmp").glob(f"slg-{first.pid}-*"):  # its exchange folder (no atexit)
        shutil.rmtree(left)
    done_before = {json.loads(line)["student"] for line in journal.read_text().splitlines()}
    assert 3 <= len(done_before) < len(CLASS), "le correcteur devait être tué en cours de route"
    second = start(root, corpus.ASSIGNMENT)
    out, err = second.communicate(timeout=900)
    assert second.returncode == 0, out + err
    assert f"{len(done_before)} copie(s) déjà notée(s)" in out
    entries = [json.loads(line)["student"] for line in journal.read_text().splitlines()]
    assert sorted(entries) == sorted(CLASS), "chaque copie notée exactement une fois"
    check_class(root, corpus.ASSIGNMENT, CLASS)
    assert not list((root / ".santelab-grade" / "staging").glob("*/*")), "reste en attente"


def test_two_graders_at_once_on_different_assignments(tmp_path, bwrap):
    root = make_course(tmp_path, ("devoir_a", "devoir_b"))
    runs = [start(root, "devoir_a"), start(root, "devoir_b")]
    for run in runs:
        out, err = run.communicate(timeout=900)
        assert run.returncode == 0, out + err
        assert "exécution : 2 poste(s) local(aux)" in out, out
    check_class(root, "devoir_a")
    check_class(root, "devoir_b")


@pytest.mark.parametrize(("setup", "args", "message"), [
    ("none", ["hostile"], "nbgrader_config.py absent"),
    ("course", ["inconnu"], "devoir inconnu du carnet de notes : inconnu"),
    ("released", ["hostile"], "aucune copie rendue pour le devoir hostile"),
    ("broken_db", ["hostile"], "carnet de notes illisible"),
])
def test_bad_input_is_one_french_line(tmp_path, setup, args, message):
    if setup != "none":
        corpus.write_course(tmp_path)
    if setup in ("course", "released", "broken_db"):
        assert _run(["generate_assignment", corpus.ASSIGNMENT], tmp_path).returncode == 0
    if setup == "broken_db":
        (tmp_path / "gradebook.db").write_bytes(b"ceci n'est pas une base SQLite" * 100)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    done = subprocess.run([*SANTELAB, "grade", *args, "--course", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], done.stderr
    assert sorted(p.name for p in tmp_path.rglob("*")) == before, "rien d'écrit"


def test_feedback_holds_nbgrader_html_and_competency_page(tmp_path, bwrap):
    root = make_course(tmp_path, ("devoir_f",))
    shutil.copy(COURSE_ROOT / "competencies.yaml", root)
    run = start(root, "devoir_f", "--feedback")
    out, err = run.communicate(timeout=900)
    assert run.returncode == 0, out + err
    assert f"Retours écrits pour {len(SMALL)} étudiant(s)" in out
    for student in SMALL:
        folder = root / "feedback" / student / "devoir_f"
        assert (folder / f"{corpus.NOTEBOOK}.html").is_file()
        assert "Compétences" in (folder / "competences.html").read_text(encoding="utf-8")
