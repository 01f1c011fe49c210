"""A student who runs a cell a second time gets the same result, or a French message that says
what to re-run (issue 19, point 4).

Each source notebook (solutions in, as the trainer has it) runs top to bottom in a real kernel,
each code cell run twice in a row (a student who runs a cell again at once), then every code
cell runs once more, in order, in the same kernel (one who replays the notebook without
restarting). Every first run must succeed; a second or third run may fail only with one of the
errors the course shows students — the sandbox's typed refusals (`SandboxError`) and the set-up
helpers' `StudentError` — whose message names what to do: re-run a cell, restart the kernel. A raw Python error (`IndexError`, `KeyError`, `NameError`…), an
`AssertionError` from a test cell, or a refusal that only says "déjà fait" fails the test.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from course.harness import CELL_TIMEOUT, NOTEBOOKS
from sandbox.client import errors as client_errors
from santelab.course.sources import notebook
from santelab.course.student import StudentError

# The errors a student is shown as French messages, by class name (a kernel reports its error's
# name): the sandbox client's refusals and the set-up cells' problems.
FRENCH_ERRORS = {StudentError.__name__} | {
    cls.__name__ for cls in vars(client_errors).values()
    if isinstance(cls, type) and issubclass(cls, client_errors.SandboxError)}
# What a message must tell: the cell or cells to re-run, or restarting the kernel.
SAYS_WHAT_TO_DO = re.compile(
    r"ré-?exécutez (la|les) cellules?|redémarrez le noyau", re.IGNORECASE)

# No xdist_group: unlike the grading tests, the items share no cached run (each starts its own
# kernel, whose sandbox lives in that kernel), so the workers may balance them freely.
CASES = [pytest.param(path, id=f"{assignment}/{path.stem}") for assignment, path in NOTEBOOKS]


def acceptable(error: CellExecutionError) -> bool:
    """A French error of the course whose message says what to re-run or do."""
    return error.ename in FRENCH_ERRORS and bool(SAYS_WHAT_TO_DO.search(error.evalue))


def rerun(path: Path, workdir: Path) -> list[str]:
    """Run the notebook, each cell twice, then each cell again; the unacceptable failures."""
    nb = notebook(path)
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(workdir)}})
    cells = [(index, cell) for index, cell in enumerate(nb.cells) if cell.cell_type == "code"]
    failures = []

    def again(index: int, cell, when: str) -> None:
        try:
            client.execute_cell(cell, index)
        except CellExecutionError as error:
            if not acceptable(error):
                failures.append(f"{cell.id} ({when}): {error.ename}: {error.evalue}")

    with client.setup_kernel():
        for index, cell in cells:
            try:
                client.execute_cell(cell, index)
            except CellExecutionError as error:  # the earlier cells' second runs broke it
                return [*failures, f"{cell.id} (1re exécution, après la 2e des précédentes): "
                                   f"{error.ename}: {error.evalue}"]
            again(index, cell, "aussitôt réexécutée")
        for index, cell in cells:
            again(index, cell, "réexécutée après tout le notebook")
    return failures


def test_message_criterion():
    """The criterion accepts a refusal that names what to re-run, and nothing else."""
    def error(ename: str, evalue: str) -> CellExecutionError:
        return CellExecutionError("trace", ename, evalue)

    assert acceptable(error("Conflict", "Déjà envoyé : redémarrez le noyau puis exécutez…"))
    assert acceptable(error("StudentError", "Ré-exécutez la cellule « Mise en route »."))
    assert not acceptable(error("Conflict", "L'inject « x » est déjà parti."))
    assert not acceptable(error("IndexError", "list index out of range"))
    assert not acceptable(error("AssertionError", "redémarrez le noyau"))


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.parametrize("path", CASES)
def test_every_cell_reruns_or_says_what_to_rerun(path: Path, tmp_path: Path):
    failures = rerun(path, tmp_path)
    assert not failures, "\n".join(failures)
