"""Charts the student is graded on must appear in her notebook: no cell may switch matplotlib
to a non-interactive backend (Agg draws into nothing in JupyterLab)."""

from __future__ import annotations

import re

import nbformat
import pytest

from santelab.course.catalog import source_notebooks

BACKEND_SWITCH = re.compile(r"matplotlib\.use\(|%matplotlib\s+(?!inline)")


@pytest.mark.parametrize("path", [path for _, path in source_notebooks()],
                         ids=lambda path: path.stem)
def test_no_cell_hides_the_charts(path):
    nb = nbformat.read(path, as_version=4)
    switching = [i for i, cell in enumerate(nb.cells)
                 if cell.cell_type == "code" and BACKEND_SWITCH.search(cell.source)]
    assert not switching, f"cellules {switching} : le backend matplotlib masque les graphiques"
