"""The student's workspace: released notebooks only, and her work never overwritten."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from santelab.workspace import MANIFEST, beside, course_digest, fill_workspace
from synthetic_data.errors import SantelabError


def release_of(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / f"release-{len(list(tmp_path.glob('release-*')))}"
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_first_fill_copies_the_release_and_a_second_changes_nothing(tmp_path):
    release = release_of(tmp_path, {"d1/a.ipynb": "v1", "d1/donnees.csv": "x;y"})
    workspace = tmp_path / "espace"
    first = fill_workspace(release, workspace)
    assert sorted(first.copied) == ["d1/a.ipynb", "d1/donnees.csv"]
    again = fill_workspace(release, workspace)
    assert again.copied == again.updated == again.offered == []
    assert (workspace / "d1" / "a.ipynb").read_text() == "v1"


def test_a_newer_release_updates_untouched_files_and_never_the_students_work(tmp_path):
    workspace = tmp_path / "espace"
    fill_workspace(release_of(tmp_path, {"a.ipynb": "v1", "b.ipynb": "v1"}), workspace)
    (workspace / "b.ipynb").write_text("le travail de l'étudiante", encoding="utf-8")
    report = fill_workspace(release_of(tmp_path, {"a.ipynb": "v2", "b.ipynb": "v2"}), workspace)
    assert report.updated == ["a.ipynb"] and (workspace / "a.ipynb").read_text() == "v2"
    assert (workspace / "b.ipynb").read_text() == "le travail de l'étudiante"
    assert report.offered == ["b (nouvelle version).ipynb"]
    assert beside(workspace / "b.ipynb").read_text() == "v2"
    assert "b (nouvelle version).ipynb" in report.summary()
    # the manifest still says b came from v1: her file is hers, whatever runs next
    assert json.loads((workspace / MANIFEST).read_text())["b.ipynb"] != \
        json.loads((workspace / MANIFEST).read_text())["a.ipynb"]


def test_a_workspace_that_cannot_be_written_is_one_french_line(tmp_path):
    blocker = tmp_path / "fichier"
    blocker.write_text("")
    with pytest.raises(SantelabError, match=r"^espace étudiant .* non accessible en écriture"):
        fill_workspace(release_of(tmp_path, {"a.ipynb": "v1"}), blocker / "espace")


def test_the_digest_follows_the_sources(tmp_path):
    course = tmp_path / "cours"
    (course / "source" / "d1").mkdir(parents=True)
    for name in ("nbgrader_config.py", "competencies.yaml"):
        (course / name).write_text("")
    (course / "source" / "d1" / "a.ipynb").write_text("v1")
    before = course_digest(course)
    (course / "source" / "d1" / "a.ipynb").write_text("v2")
    assert course_digest(course) != before


@pytest.mark.slow
@pytest.mark.xdist_group("release")
def test_the_released_course_holds_no_solution_and_no_hidden_test(released):
    notebooks = sorted(released.rglob("*.ipynb"))
    assert len(notebooks) >= 14
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        text = "\n".join(cell.source for cell in nb.cells)
        assert "### BEGIN SOLUTION" not in text, path
        assert "### BEGIN HIDDEN TESTS" not in text, path
        assert "Barème" not in text, f"{path} : le barème reste dans la source"
