"""Typed client errors: one class per kind of refusal, each carrying the French diagnostic.

Every error the sandbox returns is a FHIR OperationOutcome; the client raises the subclass of
`SandboxError` matching the HTTP status, whose message is the outcome's French diagnostic, so
notebooks can `except AccessDenied:` and show learners the service's own explanation.
"""

from __future__ import annotations

from typing import Any


class SandboxError(Exception):
    """A refusal or failure of the sandbox; `str(error)` is its French diagnostic."""

    def __init__(self, message: str, *, status: int | None = None,
                 outcome: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.outcome = outcome or {}


class InvalidRequest(SandboxError):
    """400/422: the request is malformed or its values are invalid."""


class AuthenticationError(SandboxError):
    """401: no token, a wrong password or an expired token."""


class AccessDenied(SandboxError):
    """403: the persona's role may not perform this action (access matrix)."""


class NotFound(SandboxError):
    """404: no such resource (or route)."""


class Conflict(SandboxError):
    """409/412: the resource's state forbids the action (already done, replaced…)."""


class Gone(SandboxError):
    """410: the resource was deleted or used up (a single-use QR code…)."""


class RateLimited(SandboxError):
    """429: too many requests."""


class ServiceUnavailable(SandboxError):
    """503: the service is down (often a fault injected by the drill facilitator)."""


class ServerError(SandboxError):
    """Any other 5xx: a simulated failure or a sandbox bug."""


class ConnectionFailed(SandboxError):
    """The sandbox could not be reached at all (wrong URL, server stopped)."""


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
