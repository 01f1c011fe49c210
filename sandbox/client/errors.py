"""Typed client errors: one class per kind of refusal, each carrying the French diagnostic.

Every error the sandbox returns is a FHIR OperationOutcome; the client raises the subclass of
`SandboxError` matching the HTTP status, whose message is the outcome's French diagnostic, so
notebooks can `except AccessDenied:` and show learners the service's own explanation.
"""

from __future__ import annotations

from typing import Any


class SandboxError(Exception):
    """Un refus ou une panne du bac à sable ; `str(erreur)` donne son explication en français."""

    def __init__(self, message: str, *, status: int | None = None,
                 outcome: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.outcome = outcome or {}


class InvalidRequest(SandboxError):
    """400/422 : la demande est mal formée ou ses valeurs sont invalides."""


class AuthenticationError(SandboxError):
    """401 : pas de jeton, mauvais mot de passe ou jeton expiré."""


class AccessDenied(SandboxError):
    """403 : le rôle de la persona n'a pas le droit de faire cette action (matrice d'accès)."""


class NotFound(SandboxError):
    """404 : cette ressource n'existe pas."""


class Conflict(SandboxError):
    """409/412 : l'état de la ressource interdit l'action (déjà faite, remplacée…)."""


class Gone(SandboxError):
    """410 : la ressource a été supprimée ou déjà utilisée (un QR code à usage unique…)."""


class RateLimited(SandboxError):
    """429 : trop de demandes ; patientez avant de réessayer."""


class ServiceUnavailable(SandboxError):
    """503 : le service est indisponible (souvent une panne simulée par l'animateur)."""


class ServerError(SandboxError):
    """Autre erreur 5xx : une panne simulée, ou un défaut du bac à sable."""


class ConnectionFailed(SandboxError):
    """Le bac à sable est injoignable (mauvaise adresse, serveur arrêté)."""


_BY_STATUS: dict[int, type[SandboxError]] = {
    400: InvalidRequest, 401: AuthenticationError, 403: AccessDenied, 404: NotFound,
    409: Conflict, 410: Gone, 412: Conflict, 422: InvalidRequest, 429: RateLimited,
    503: ServiceUnavailable,
}


def diagnostics(outcome: Any) -> str | None:
    """The French text of an OperationOutcome (issues joined), or None if it is not one."""
    if not isinstance(outcome, dict) or outcome.get("resourceType") != "OperationOutcome":
        return None
    texts = [i.get("diagnostics") or i.get("details", {}).get("text") or i.get("code", "")
             for i in outcome.get("issue", []) if isinstance(i, dict)]
    return " ; ".join(t for t in texts if t) or None


def error_for(status: int, body: Any, fallback: str = "") -> SandboxError:
    """The typed error for an HTTP status and its (OperationOutcome) body."""
    cls = _BY_STATUS.get(status)
    if cls is None:
        cls = ServerError if status >= 500 else InvalidRequest
    message = diagnostics(body) or fallback or f"Erreur HTTP {status} du bac à sable."
    return cls(message, status=status, outcome=body if isinstance(body, dict) else None)


__all__ = [
    "AccessDenied", "AuthenticationError", "Conflict", "ConnectionFailed", "Gone",
    "InvalidRequest", "NotFound", "RateLimited", "SandboxError", "ServerError",
    "ServiceUnavailable", "diagnostics", "error_for",
]
