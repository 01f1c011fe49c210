"""Helpers for the notebooks' set-up cells: load what an exercise needs, or say in French why not.

A `StudentError` is shown as its message alone: IPython calls `_render_traceback_` instead of
printing a stack trace, and the cell still fails, so the rest of the notebook does not run on
missing data.
"""

from __future__ import annotations

import importlib
from typing import Any

REINSTALL = (
    "Dans un terminal, à la racine du projet santelab, lancez `pip install -e .` "
    "puis redémarrez le noyau (menu Noyau > Redémarrer le noyau)."
)


class StudentError(Exception):
    """A set-up problem the student can fix; its French message is all they see."""

    def _render_traceback_(self) -> list[str]:
        return [f"⚠️  {self}"]


def load_population(n: int, seed: int) -> Any:
    """The synthetic population of the exercises (same seed, same patients for everyone)."""
    try:
        generate = importlib.import_module("synthetic_data").generate
    except (ImportError, AttributeError):
        raise StudentError(
            f"La population synthétique (paquet synthetic_data) est introuvable. {REINSTALL}"
        ) from None
    return generate(n=n, seed=seed)


UNREACHABLE = (
    "Impossible de joindre le bac à sable. Si vous utilisez un serveur (variable SANTELAB_URL), "
    "vérifiez qu'il est lancé (`santelab sandbox up`) ; sinon redémarrez le noyau et "
    "réexécutez cette cellule."
)


def connect_personas(*personas: str) -> Any:
    """One sandbox session per persona, in the order given (a single session for one persona).

    Without a server (SANTELAB_URL unset) the sandbox runs in the notebook's own process.
    """
    try:
        connect = importlib.import_module("sandbox.client").connect
    except (ImportError, AttributeError):
        raise StudentError(f"Le bac à sable santelab est introuvable. {REINSTALL}") from None
    try:
        sessions = tuple(connect(persona=persona) for persona in personas)
    except Exception as exc:
        raise StudentError(f"{UNREACHABLE} Détail : {exc}") from None
    return sessions[0] if len(sessions) == 1 else sessions
