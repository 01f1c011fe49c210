"""The steps one notebook goes through: nbgrader's own, in nbgrader's order, plus ours.

`nbgrader autograde` runs a sanitize pass (ClearOutput … CheckCellMetadata) and an autograde
pass (Execute … CheckCellMetadata). We run the same classes, read from the same configurable
lists (`Autograde.sanitize_preprocessors`, `Autograde.autograde_preprocessors`), with five
changes: DetectTampering runs just before OverwriteCells, Execute is replaced by KernelExecute
(a kernel forked for this notebook, run where the host puts it), DescribeIncidents /
ZeroWhenTampered frame SaveAutoGrades, CheckCellMetadata checks its JSON schema once
(CheckCellMetadataOnce: the same checks and errors, not the schema itself on every cell), and
OverwriteCells and SaveAutoGrades read the gradebook rows of a notebook at once (steps/prefetch:
the same lookups, one query a kind, instead of one a cell).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbconvert.preprocessors import Preprocessor
from nbgrader import utils
from nbgrader.converters import Autograde
from nbgrader.preprocessors import CheckCellMetadata, Execute, OverwriteCells, SaveAutoGrades

from santelab.grading.steps import incident
from santelab.grading.steps.execute import KernelExecute
from santelab.grading.steps.metadata import CheckCellMetadataOnce
from santelab.grading.steps.outcomes import DescribeIncidents, ZeroWhenTampered
from santelab.grading.steps.prefetch import OverwriteCellsPrefetched, SaveAutoGradesPrefetched
from santelab.grading.steps.tampering import DetectTampering

# nbgrader's own steps (not a trainer's subclass of them), done with less work: same results.
FASTER = {CheckCellMetadata: CheckCellMetadataOnce, OverwriteCells: OverwriteCellsPrefetched,
          SaveAutoGrades: SaveAutoGradesPrefetched}


class Unreadable(Exception):
    """A submitted file nbgrader could not even open; the message is French."""


@dataclass
class Steps:
    sanitize: list[Preprocessor]
    finish: list[Preprocessor]  # everything after Execute
    execute_config: dict = field(default_factory=dict)  # KernelExecute's traits


def build_steps(converter: Autograde, settings) -> Steps:
    def make(classes):
        return [FASTER.get(cls, cls)(parent=converter) for cls in classes]

    sanitize = []
    for step in make(converter.sanitize_preprocessors):
        if isinstance(step, OverwriteCells):
            sanitize.append(DetectTampering(parent=converter))
        sanitize.append(step)
    after = list(converter.autograde_preprocessors)
    execute = next((cls for cls in after if issubclass(cls, Execute)), None)
    finish = []
    for step in make([cls for cls in after if cls is not execute]):
        if isinstance(step, SaveAutoGrades):
            finish.append(DescribeIncidents(parent=converter))
            finish.append(step)
            if settings.zero_on_tampering:
                finish.append(ZeroWhenTampered(parent=converter))
        else:
            finish.append(step)
    probe = Execute(parent=converter)
    execute_config = {
        "timeout": settings.cell_timeout if settings.cell_timeout is not None else probe.timeout,
        "interrupt_on_timeout": probe.interrupt_on_timeout,
        "raise_on_iopub_timeout": False,  # nbgrader fails the whole submission; we go on
        # Once the last cell is done the kernel is killed, not asked to shut down (and waited
        # for, 0.2 s a notebook): the worker's reset kills whatever it left anyway.
        "shutdown_kernel": "immediate",
        "error_on_timeout": dict(probe.error_on_timeout),
        "extra_arguments": list(probe.extra_arguments),
        "notebook_timeout": settings.notebook_timeout,
        "max_output_bytes": settings.max_output_bytes,
        "max_message_bytes": settings.max_message_bytes,
    }
    return Steps(sanitize, finish, execute_config)


NOT_RELEASED = {"released_order": [], "released_checksums": {}}


def released(path: Path) -> dict:
    """What the students received of one notebook: its graded cells' order and the checksums
    of its locked cells (DetectTampering compares a submission with them)."""
    nb = nbformat.read(path, as_version=4)
    cells = [(c.metadata.nbgrader.grade_id, c) for c in nb.cells
             if c.metadata.get("nbgrader", {}).get("grade_id")]
    return {"released_order": [name for name, _ in cells],
            "released_checksums": {name: utils.compute_checksum(c) for name, c in cells
                                   if utils.is_locked(c)}}


def resources_for(db_url: str, student: str, assignment: str, path: Path,
                  release: dict) -> dict:
    return {
        "unique_key": path.stem,
        "output_files_dir": f"{path.stem}_files",
        "metadata": {"name": path.stem, "path": str(path.parent)},
        "nbgrader": {"student": student, "assignment": assignment, "notebook": path.stem,
                     "db_url": db_url},
        "santelab": {"incidents": [], **release},
    }


def read_submitted(path: Path, resources: dict) -> nbformat.NotebookNode:
    try:
        return nbformat.read(path, as_version=4)
    except UnicodeDecodeError:
        reason = "fichier illisible (pas du texte)"
    except ValueError as exc:  # JSONDecodeError is a ValueError
        reason = f"fichier qui n'est pas un notebook JSON ({str(exc).splitlines()[0][:120]})"
    except Exception as exc:  # nbformat's NBFormatError, a missing key…
        reason = f"format de notebook non reconnu ({str(exc).splitlines()[0][:120]})"
    incident(resources, "illisible", reason)
    raise Unreadable(reason)


def run(steps: list[Preprocessor], nb, resources):
    for step in steps:
        nb, resources = step(nb, resources)
    return nb, resources


def execute(nb, resources, host, execute_config: dict):
    """Run the notebook on a fresh kernel of `host` (then clean the host for the next one)."""
    step = KernelExecute(host=host, **execute_config)
    try:
        nb, resources = step(nb, resources)
    finally:
        host.reset()
    return nb, resources
