"""Every hostile kind of the corpus gets its score and its French reason, and an honest
student graded beside them keeps her grade and her files.

Two runs of the same class, so that no score depends on the machine's load: the kinds that burn
CPU until a time limit stops them (an infinite loop, a fork bomb, endless output) are graded one
after the other at the course's 5 s per cell; every other kind two at a time with 60 s per cell,
far beyond what its cells need even on a loaded machine.
"""

from __future__ import annotations

import hashlib
import io

import pytest

from grading import hostile_corpus as corpus
from grading.classroom import _run, scores
from grading.conftest import grade_args
from santelab.grading.command import grade

# One worker grades the corpus once for every kind (a module fixture would run on each worker).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("grading-hostile")]

LIMITS = """
c.GradingSettings.memory_bytes = 2 * 1024 ** 3
c.GradingSettings.max_output_bytes = 1024 * 1024
c.GradingSettings.max_message_bytes = 16 * 1024 * 1024
c.GradingSettings.notebook_timeout = 300
c.GradingSettings.max_processes = 32
c.GradingSettings.cpu_seconds = 60
"""
QUICK_CELL_TIMEOUT = 60


@pytest.fixture(scope="module")
def graded(tmp_path_factory, bwrap):
    root = tmp_path_factory.mktemp("hostile")
    corpus.write_course(root)
    with open(root / "nbgrader_config.py", "a", encoding="utf-8") as config:
        config.write(LIMITS)
    released = _run(["generate_assignment", corpus.ASSIGNMENT], root)
    assert released.returncode == 0, released.stderr[-2000:]
    corpus.build(root / "release" / corpus.ASSIGNMENT / f"{corpus.NOTEBOOK}.ipynb", root)
    honest = root / "submitted" / "honnete" / corpus.ASSIGNMENT / f"{corpus.NOTEBOOK}.ipynb"
    before = hashlib.sha256(honest.read_bytes()).hexdigest()
    burners = [name for name, kind in corpus.KINDS.items() if kind.burns]
    others = [name for name in corpus.KINDS if name not in burners]
    out = io.StringIO()
    outcomes = grade(root, corpus.ASSIGNMENT,
                     grade_args(student=others, timeout=QUICK_CELL_TIMEOUT), out=out)
    outcomes += grade(root, corpus.ASSIGNMENT, grade_args(student=burners, workers=1), out=out)
    return root, outcomes, out.getvalue(), before, honest


@pytest.mark.parametrize("kind", sorted(corpus.KINDS))
def test_hostile_kind_gets_its_score_and_reason(graded, kind):
    root, outcomes, text, _, _ = graded
    found = scores(root, corpus.ASSIGNMENT)
    total = sum(score or 0 for (student, _, _), (score, _) in found.items() if student == kind)
    expected = corpus.KINDS[kind]
    allowed = expected.score if isinstance(expected.score, tuple) else (expected.score,)
    assert total in allowed, f"{kind}: {total} au lieu de {expected.score}\n{text}"
    outcome = next(o for o in outcomes if o.student == kind)
    assert outcome.error is None, outcome.error
    reported = {i["kind"] for n in outcome.notebooks for i in n.incidents}
    assert not expected.reasons or expected.reasons & reported, f"{kind}: motifs {reported}\n{text}"
    if expected.reasons:
        assert f"{kind} / {corpus.NOTEBOOK} :" in text, text


def test_honest_student_untouched(graded):
    root, _, text, before, honest = graded
    assert hashlib.sha256(honest.read_bytes()).hexdigest() == before
    assert (root / "autograded" / "honnete" / corpus.ASSIGNMENT).is_dir()
    assert "isolation : bubblewrap" in text
