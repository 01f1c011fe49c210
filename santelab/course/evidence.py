"""What a student did in her sandbox, as the hidden tests read it.

A core exercise is graded from the trace the student's own calls left (the sandbox's event
stream: who did what, to which patient, with which outcome and detail) and from the state
she left, never from the shape of her code. `nbgrader autograde` re-runs the submission in a
fresh kernel, so the trace read here is the one her cells replay.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from santelab.course.student import connect_personas

# The persona that may read the whole event stream of the tenant (the access matrix's
# `admin.events`); the student's own persona may not.
READER = "facilitateur"


@cache
def _session() -> Any:
    return connect_personas(READER)


def actions(action: str | None = None, *, service: str | None = None,
            persona: str | None = None, patient: str | None = None,
            outcome: str | None = None) -> list[dict]:
    """Les événements du bac à sable de l'étudiant, du plus ancien au plus récent, filtrés :
    `action` (ex. « dmp.document.read », ou un préfixe terminé par un point : « dmp. »),
    `persona` (l'identifiant de connexion de l'auteur), `patient`, `outcome`
    (« success », « refused », « error »)."""
    found = _session().admin.events(service=service, patient=patient)
    found = sorted(found, key=lambda e: e.get("seq", 0))

    def keep(event: dict) -> bool:
        if action and not (event.get("action") == action
                           or (action.endswith(".") and event.get("action", "").startswith(action))):
            return False
        if persona and event.get("persona") != persona:
            return False
        return not (outcome and event.get("outcome") != outcome)

    return [e for e in found if keep(e)]


def did(action: str, **filters: Any) -> bool:
    """Vrai si l'étudiant a fait au moins une fois cette action (mêmes filtres que `actions`)."""
    return bool(actions(action, **filters))
