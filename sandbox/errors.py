"""Errors that teach: every refusal is a 4xx FHIR OperationOutcome with a French diagnostic.

Services raise `ServiceError` (or a subclass) with a French sentence saying what was wrong and
how to fix it; the handlers installed by `install_error_handlers` turn it, FastAPI's validation
errors and unknown routes into OperationOutcome bodies. Nothing reaches the user as a stack trace.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("sandbox")

FHIR_JSON = "application/fhir+json"

# FHIR IssueType per HTTP status, for errors raised without an explicit code.
_ISSUE_BY_STATUS = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    409: "conflict",
    410: "deleted",
    412: "conflict",
    413: "too-costly",
    415: "not-supported",
    422: "processing",
    429: "throttled",
    503: "transient",
    504: "timeout",
}

_STATUS_TEXT_FR = {
    401: "authentification requise : fournissez un jeton « Authorization: Bearer … »",
    403: "accès refusé",
    404: "ressource introuvable : vérifiez l'adresse et l'identifiant",
    405: "méthode HTTP non autorisée sur cette adresse",
    406: "format de réponse non pris en charge : demandez application/fhir+json ou application/json",
    413: "requête trop volumineuse",
    415: "type de contenu non pris en charge : envoyez application/fhir+json ou application/json",
}


def operation_outcome(diagnostics: str, *, code: str = "invalid", severity: str = "error",
                      expression: list[str] | None = None) -> dict:
    issue: dict = {"severity": severity, "code": code, "diagnostics": diagnostics}
    if expression:
        issue["expression"] = expression
    return {"resourceType": "OperationOutcome", "issue": [issue]}


# What a refusal of an action already done adds (a notebook cell run twice): nothing is lost, and
# how to replay from the start. A kernel restart is a fresh sandbox when it runs in the notebook;
# a server's tenant must be reset first.
ALREADY_DONE = (
    "Ce qui a été fait reste enregistré : continuez avec la cellule suivante. Pour tout rejouer "
    "depuis le début, redémarrez le noyau (menu Noyau > Redémarrer le noyau ; sur un serveur, "
    "après « santelab sandbox reset --tenant … ») puis ré-exécutez les cellules dans l'ordre."
)


class ServiceError(Exception):
    """A refusal with its HTTP status and a French diagnostic."""

    def __init__(self, status: int, diagnostics: str, *, code: str | None = None,
                 expression: list[str] | None = None, headers: dict[str, str] | None = None):
        super().__init__(diagnostics)
        self.status = status
        self.diagnostics = diagnostics
        self.code = code or _ISSUE_BY_STATUS.get(status, "processing")
        self.expression = expression
        self.headers = headers

    def outcome(self) -> dict:
        return operation_outcome(self.diagnostics, code=self.code, expression=self.expression)

    def response(self) -> JSONResponse:
        """The error as an HTTP answer: its status, OperationOutcome and headers."""
        return outcome_response(self.status, self.outcome(), self.headers)


def outcome_response(status: int, outcome: dict, headers: dict[str, str] | None = None):
    return JSONResponse(outcome, status_code=status, media_type=FHIR_JSON, headers=headers)


def _location(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "requête"


def describe_validation_error(error: dict) -> str:
    """One French sentence for one pydantic/FastAPI validation error."""
    where = _location(tuple(error.get("loc", ())))
    kind = error.get("type", "")
    if kind == "missing":
        return f"champ obligatoire manquant : « {where} »"
    if kind == "json_invalid":
        return "corps de requête JSON mal formé : vérifiez les guillemets, virgules et accolades"
    if kind in {"string_type", "int_type", "int_parsing", "float_parsing", "bool_parsing",
                "dict_type", "list_type", "model_attributes_type", "date_from_datetime_parsing",
                "date_parsing", "datetime_parsing", "model_type"}:
        return f"valeur de type incorrect pour « {where} » ({error.get('msg', kind)})"
    if kind == "extra_forbidden":
        return f"champ inconnu : « {where} » (retirez-le)"
    if kind in {"literal_error", "enum"}:
        return f"valeur non autorisée pour « {where} » ({error.get('msg', '')})"
    if kind.startswith("string_too") or kind.startswith("too_"):
        return f"longueur incorrecte pour « {where} » ({error.get('msg', '')})"
    if kind == "value_error":
        msg = str(error.get("msg", "")).removeprefix("Value error, ")
        return f"valeur invalide pour « {where} » : {msg}"
    return f"valeur invalide pour « {where} » ({error.get('msg', kind)})"


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """Every method any route accepts on `path` (Starlette's 405 lists only one route's)."""
    from starlette.routing import compile_path

    table = getattr(app.state, "path_methods", None)
    if table is None:
        table = []
        for template, operations in app.openapi().get("paths", {}).items():
            regex, _format, _convertors = compile_path(template)
            table.append((regex, {m.upper() for m in operations}))
        app.state.path_methods = table
    methods: set[str] = set()
    for regex, operations in table:
        if regex.match(path):
            methods |= operations
    return sorted(methods)


def database_unavailable() -> ServiceError:
    """The store could not be reached or stayed locked: nothing was done, the client retries."""
    return ServiceError(503, "La base du bac à sable ne répond pas (verrouillée ou "
                             "inaccessible) : rien n'a été fait ; réessayez dans un instant.",
                        code="transient", headers={"Retry-After": "5"})


async def _not_traced(_request: Request, _error: Exception, _status: int, _text: str) -> None:
    return None


def install_error_handlers(app: FastAPI, on_refusal=_not_traced) -> None:
    """The French answers of every error; `on_refusal(request, error, status, text)` is
    awaited for each 4xx (the app traces the untraced ones: sandbox/refusals.py)."""

    @app.exception_handler(ServiceError)
    async def _service_error(request: Request, exc: ServiceError):
        await on_refusal(request, exc, exc.status, exc.diagnostics)
        return exc.response()

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError):
        errors = exc.errors()
        text = " ; ".join(describe_validation_error(e) for e in errors[:5]) or "requête invalide"
        text = f"Requête invalide : {text}."
        await on_refusal(request, exc, 400, text)
        return outcome_response(400, operation_outcome(text))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        status = exc.status_code
        detail = exc.detail if isinstance(exc.detail, str) and not exc.detail.isascii() else None
        text = detail or _STATUS_TEXT_FR.get(status, f"requête refusée (HTTP {status})")
        headers = dict(getattr(exc, "headers", None) or {})
        if status == 405:
            allowed = allowed_methods(request.app, request.url.path)
            if allowed:
                headers["Allow"] = ", ".join(allowed)
                text = f"{text} (méthodes acceptées : {', '.join(allowed)})"
        await on_refusal(request, exc, status, text)
        return outcome_response(
            status, operation_outcome(text, code=_ISSUE_BY_STATUS.get(status, "processing")),
            headers or None,
        )

    @app.exception_handler(OperationalError)
    async def _database_unavailable(_request: Request, exc: OperationalError):
        log.warning("database unavailable: %s", exc)
        return database_unavailable().response()

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception):
        log.exception("unexpected error", exc_info=exc)
        return outcome_response(
            500,
            operation_outcome(
                "Erreur interne du bac à sable : l'incident est journalisé ; réessayez ou "
                "signalez-le au formateur.",
                code="exception", severity="fatal",
            ),
            # Starlette re-raises the error after this answer and the server then drops the
            # connection: say so, or a keep-alive client sends its next request into a void.
            {"Connection": "close"},
        )
