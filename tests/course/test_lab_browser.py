"""A student's day one in a real browser: `santelab lab` opens JupyterLab on her workspace,
she opens a released notebook, runs its set-up cell and the sandbox answers (Debian chromium
through Playwright; a screenshot is kept in test-artefacts/)."""

from __future__ import annotations

import pytest
from fixtures.jupyterlab_page import keep_screenshot, run_set_up_cell
from fixtures.lab import Lab

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.xdist_group("release")]

NOTEBOOK = "d4_outils_numeriques/01_insi_dmp.ipynb"


def test_a_student_runs_the_set_up_cell_of_a_released_notebook(tmp_path, released, page,
                                                               record_property):
    with Lab(tmp_path, released) as lab:
        source = (lab.workspace / NOTEBOOK).read_text(encoding="utf-8")
        assert "BEGIN SOLUTION" not in source  # the released copy, not the course's source
        output = run_set_up_cell(page, f"{lab.url}/lab/tree/{NOTEBOOK}?token={lab.token}",
                                 "Connecté au bac à sable « demo »")
        keep_screenshot(page, "lab-etudiant", record_property)
    assert "en tant que" in output
