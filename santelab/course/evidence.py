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
# The most events one question reads (the service's own bound): filtered by action in the
# store, a notebook's trace stays far below it.
LIMIT = 10_000


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
    found = _session().admin.events(service=service, patient=patient, action=action,
                                    limit=LIMIT)
    return [e for e in found if (not persona or e.get("persona") == persona)
            and (not outcome or e.get("outcome") == outcome)]


def did(action: str, **filters: Any) -> bool:
    """Vrai si l'étudiant a fait au moins une fois cette action (mêmes filtres que `actions`)."""
    return bool(actions(action, **filters))
