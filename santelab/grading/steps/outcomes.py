"""DescribeIncidents and ZeroWhenTampered: what the executed notebook says, and what it costs.

DescribeIncidents turns the errors a limit leaves in the outputs (a cell timeout, MemoryError,
a refused connection, a refused file) into French reasons for the trainer. ZeroWhenTampered
runs after nbgrader's SaveAutoGrades: a notebook that tampered with the tests or the grader
gets zero on every autograded test (and a deleted test cell, which nbgrader cannot grade,
gets zero too), when `GradingSettings.zero_on_tampering` is on.
"""

from __future__ import annotations

from nbgrader.api import Gradebook
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool

from santelab.grading.steps import TAMPERING, incident

REASONS = {
    "CellTimeoutError": ("temps_cellule", "cellule interrompue : temps par cellule dépassé"),
    "MemoryError": ("memoire", "mémoire dépassée (limite par noyau)"),
    "RecursionError": ("memoire", "récursion infinie"),
    "BlockingIOError": ("processus", "trop de processus (limite par noyau)"),
    "NoyauArrete": ("noyau_arrete", "le noyau s'est arrêté"),
}
NETWORK = ("Network is unreachable", "Connection refused", "Name or service not known",
           "Temporary failure in name resolution")


class DescribeIncidents(NbGraderPreprocessor):
    def preprocess_cell(self, cell, resources, index):
        for output in cell.get("outputs", []):
            if output.get("output_type") != "error":
                continue
            ename, evalue = output.get("ename", ""), str(output.get("evalue", ""))
            if ename in REASONS:
                kind, message = REASONS[ename]
                incident(resources, kind, message)
            elif any(text in evalue for text in NETWORK):
                incident(resources, "reseau", "connexion réseau refusée (seule la boucle locale "
                                              "du bac à sable est permise)")
            elif ename in ("PermissionError", "FileNotFoundError") and "/" in evalue:
                incident(resources, "fichier", f"accès à un fichier hors de portée : {evalue}")
        return cell, resources


class ZeroWhenTampered(NbGraderPreprocessor):
    """Zero for every autograded test of a notebook that patched the grading machinery, and
    for each graded cell a notebook deleted; edited or moved cells are only reported (nbgrader
    restores the first, and a moved test fails on its own)."""

    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb, resources):
        kinds = {i["kind"] for i in resources.get("santelab", {}).get("incidents", [])}
        if not kinds & TAMPERING:
            return nb, resources
        meta = resources["nbgrader"]
        present = {c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells}
        with Gradebook(meta["db_url"]) as gb:
            submitted = gb.find_submission_notebook(meta["notebook"], meta["assignment"],
                                                    meta["student"])
            for grade in submitted.grades:
                cheated = "triche" in kinds and grade.auto_score is not None
                if cheated or grade.name not in present:
                    grade.auto_score = 0.0
                    grade.needs_manual_grade = False
            gb.db.commit()
        return nb, resources
