"""santelab's grading steps: nbgrader preprocessors, run beside nbgrader's own.

Each step reads and writes `resources["santelab"]["incidents"]`: a list of
`{"kind": ..., "message": <French, for the trainer>}` that the summary and the reports show.
"""

from __future__ import annotations


def incident(resources: dict, kind: str, message: str) -> None:
    found = resources.setdefault("santelab", {}).setdefault("incidents", [])
    if not any(i["kind"] == kind and i["message"] == message for i in found):
        found.append({"kind": kind, "message": message})


# Kinds that mean the student worked against the grader, not on the exercise.
TAMPERING = {"cellule_supprimee", "cellule_modifiee", "cellules_reordonnees", "triche"}
