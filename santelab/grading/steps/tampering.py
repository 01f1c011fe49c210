"""DetectTampering: what a submission did to the tests, checked before nbgrader restores them.

nbgrader's OverwriteCells silently puts back an edited locked cell and cannot put back a
deleted one; the trainer should know about both, and about code that patches the machinery
the hidden tests rely on (builtins, assertions, sys.modules, IPython's error display).
"""

from __future__ import annotations

import re

from nbgrader import utils
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import List, Unicode

from santelab.grading.steps import incident

DEFAULT_PATTERNS = [
    r"\bbuiltins\b", r"__builtins__", r"\bsys\.modules\b", r"\bAssertionError\s*=",
    r"\bshowtraceback\b", r"\bset_custom_exc\b", r"\bsys\.excepthook\b",
    r"\bsys\.settrace\b", r"\bgc\.get_objects\b",
]


class DetectTampering(NbGraderPreprocessor):
    patterns = List(
        Unicode(), DEFAULT_PATTERNS,
        help="Regular expressions that flag student code patching the grading machinery.",
    ).tag(config=True)

    def preprocess(self, nb, resources):
        meta = resources["nbgrader"]
        with Gradebook(meta["db_url"]) as gb:
            try:
                notebook = gb.find_notebook(meta["notebook"], meta["assignment"])
            except MissingEntry:
                return nb, resources
            graded = [c.name for c in notebook.grade_cells]
        present = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
        missing = [name for name in graded if name not in present]
        if missing:
            incident(resources, "cellule_supprimee",
                     f"cellule(s) notée(s) supprimée(s) : {', '.join(missing)}")
        # Compared with the version the students received (hidden tests already removed).
        locked = resources.get("santelab", {}).get("released_checksums", {})
        edited = [c.metadata.nbgrader.grade_id for c in nb.cells
                  if c.metadata.get("nbgrader", {}).get("grade_id") in locked
                  and utils.compute_checksum(c) != locked[c.metadata.nbgrader.grade_id]]
        if edited:
            incident(resources, "cellule_modifiee",
                     f"cellule(s) verrouillée(s) modifiée(s) (rétablie(s) par nbgrader) : "
                     f"{', '.join(edited)}")
        expected = [n for n in resources.get("santelab", {}).get("released_order", [])
                    if n in present]
        if [n for n in present if n in expected] != expected:
            incident(resources, "cellules_reordonnees",
                     "cellules du sujet déplacées (ordre différent de la version distribuée)")
        for cell in nb.cells:
            if cell.cell_type != "code" or utils.is_locked(cell):
                continue
            for pattern in self.patterns:
                if re.search(pattern, cell.source):
                    incident(resources, "triche",
                             "code qui modifie les mécanismes de notation "
                             f"(motif « {pattern} » dans {cell.metadata.get('nbgrader', {}).get('grade_id', 'une cellule')})")
                    break
        return nb, resources
