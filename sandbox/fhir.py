"""Shared FHIR REST helpers: strict search parameters, SQL filters, searchset Bundles.

Any service exposing a FHIR search uses these so that every service answers alike: an unknown
or malformed parameter is a 400 OperationOutcome in French (FHIR servers may ignore unknown
parameters; we refuse them so that learners see their typos), strings match FHIR-style (prefix,
case- and accent-insensitive), tokens accept `system|code`, results come back as a `searchset`
Bundle with `total` and `_count`/`_offset` paging links.

    SEARCH = {"name": Param("string", Row.names, "nom ou prénom"), ...}
    search = parse_search(request, SEARCH, "Practitioner").prepared()
    query = STATEMENTS.get(search.key, lambda: select(Row).where(search.where(), …))
    rows = session.scalars(query, search.parameters)
"""

from __future__ import annotations

import itertools
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, and_, bindparam, func, or_, select

from sandbox.errors import ServiceError

DEFAULT_COUNT = 20
MAX_COUNT = 200
PAGING = ("_count", "_offset")
# Parameters every FHIR search accepts and that change nothing here.
NEUTRAL = ("_format", "_pretty")


def fold(text: str) -> str:
    """Lower case without diacritics: what FHIR string search compares."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold().strip()


def words(*texts: str | None) -> str:
    """A searchable column value: folded words, each preceded by a space (prefix search)."""
    out: list[str] = []
    for text in texts:
        if text:
            out.extend(fold(text).replace("-", " ").replace("'", " ").split())
    return "".join(f" {w}" for w in out) + " "


@dataclass(frozen=True)
class Param:
    """A search parameter: its FHIR kind, the column it filters and a French description."""

    kind: Literal["string", "token", "reference", "words"]
    column: Any  # a SQLAlchemy column (or column expression)
    description: str
    # token only: accepted systems -> None (any value) ; a system outside it matches nothing
    systems: tuple[str, ...] = ()
    reference_type: str = ""  # reference only: "Practitioner" accepts "Practitioner/x" or "x"
    # token only: the code list (code -> French label); an unknown code is a 400, not "0 found"
    codes: Callable[[], Mapping[str, str]] | None = None


@dataclass
class Search:
    """A parsed search: AND of parameters, each an OR of comma-separated values."""

    resource_type: str
    criteria: list[tuple[str, str, Param, list[str]]] = field(default_factory=list)
    count: int = DEFAULT_COUNT
    offset: int = 0
    query_items: list[tuple[str, str]] = field(default_factory=list)

    def prepared(self) -> Prepared:
        """The criteria as a shape and the values bound to it (unknown codes and systems are
        refused here)."""
        shape, columns, values = [], [], []
        for name, modifier, param, raw in self.criteria:
            options = [_tests(name, modifier, param, value) for value in raw]
            shape.append((name, tuple(tuple(op for op, _v in tests) for tests in options)))
            columns.append(param.column)
            values += [v for tests in options for _op, v in tests]
        return Prepared(tuple(shape), {f"{_PREFIX}{i}": v for i, v in enumerate(values)},
                        tuple(columns))


@dataclass(frozen=True)
class Prepared:
    """A search's criteria split into what shapes the SQL (`key`: which parameters, compared how,
    with how many values) and the values bound to it (`parameters`).

    Building a SQLAlchemy statement and computing its cache key costs several times more than
    executing it: a service keeps one statement per key (`StatementCache`) and executes it
    with the parameters."""

    key: tuple  # ((parameter name, ((comparison, …) per value)), …) per criterion
    parameters: dict[str, str]
    columns: tuple  # the column of each criterion

    def where(self) -> ColumnElement[bool] | None:
        """The criteria as one SQL condition on bound parameters (ANDed, values ORed)."""
        names = (f"{_PREFIX}{i}" for i in itertools.count())
        clauses = []
        for column, (_name, options) in zip(self.columns, self.key, strict=True):
            alternatives = [and_(*(_COMPARE[op](column, bindparam(next(names))) for op in ops))
                            for ops in options]
            clauses.append(or_(*alternatives) if len(alternatives) > 1 else alternatives[0])
        return and_(*clauses) if clauses else None


_PREFIX = "fhir_"
_COMPARE: dict[str, Callable[[Any, Any], ColumnElement[bool]]] = {
    "eq": lambda column, value: column == value,
    "like": lambda column, value: column.like(value, escape="\\"),
    "lower_like": lambda column, value: func.lower(column).like(value, escape="\\"),
}


class StatementCache:
    """Statements kept by key, built once: a bounded map (the keys come from requests)."""

    def __init__(self, size: int = 256):
        self.size = size
        self._statements: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], Any]) -> Any:
        with self._lock:
            statement = self._statements.get(key)
            if statement is not None:
                self._statements.move_to_end(key)
                return statement
        statement = build()
        with self._lock:
            self._statements[key] = statement
            while len(self._statements) > self.size:
                self._statements.popitem(last=False)
        return statement


def _bad(text: str, name: str | None = None) -> ServiceError:
    return ServiceError(400, text, code="invalid", expression=[name] if name else None)


def _int(name: str, raw: str, low: int, high: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise _bad(f"Le paramètre « {name} » attend un nombre entier (reçu « {raw} »).",
                   name) from None
    if not low <= value <= high:
        raise _bad(f"Le paramètre « {name} » doit être compris entre {low} et {high} "
                   f"(reçu {value}).", name)
    return value


def parse_search(request: Request, params: Mapping[str, Param], resource_type: str) -> Search:
    """Read the query string strictly: unknown parameters and modifiers are refused."""
    search = Search(resource_type)
    for key, raw in request.query_params.multi_items():
        search.query_items.append((key, raw))
        if key in PAGING:
            if key == "_count":
                search.count = _int(key, raw, 0, MAX_COUNT)
            else:
                search.offset = _int(key, raw, 0, 10**9)
            continue
        if key in NEUTRAL:
            continue
        name, _, modifier = key.partition(":")
        param = params.get(name)
        if param is None:
            known = ", ".join(sorted([*params, *PAGING]))
            raise _bad(f"Paramètre de recherche inconnu pour {resource_type} : « {name} ». "
                       f"Paramètres acceptés : {known}.", name)
        allowed_modifiers = {"string": ("", "exact", "contains"), "words": ("", "exact"),
                             "token": ("",), "reference": ("",)}[param.kind]
        if modifier not in allowed_modifiers:
            raise _bad(f"Modificateur « :{modifier} » non pris en charge pour « {name} ».", key)
        values = [v.strip() for v in raw.split(",")]
        if not raw.strip() or any(not v for v in values):
            raise _bad(f"Le paramètre « {name} » est vide : donnez une valeur "
                       f"({param.description}) ou retirez-le.", name)
        search.criteria.append((name, modifier, param, values))
    return search


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _tests(name: str, modifier: str, param: Param, value: str) -> list[tuple[str, str]]:
    """What one value asks of its parameter's column: (comparison, value) pairs, all to hold."""
    if param.kind == "string":
        folded = _escape_like(fold(value))
        if modifier == "exact":
            return [("eq", value)]
        if modifier == "contains":
            return [("lower_like", f"%{folded}%")]
        return [("like", f"{folded}%")]
    if param.kind == "words":
        # Column holds " word word " (see `words`): each query word is a word prefix.
        end = " " if modifier == "exact" else ""
        return [("like", f"% {_escape_like(p)}{end}%") for p in words(value).split()]
    if param.kind == "token":
        system, bar, code = value.rpartition("|")
        if bar and system and param.systems and system not in param.systems:
            known = ", ".join(param.systems)
            raise _bad(f"Système inconnu « {system} » pour « {name} » : utilisez {known} "
                       "(ou la valeur seule).", name)
        if param.codes is not None and code not in param.codes():
            known = ", ".join(f"{c} ({label})" for c, label in
                              sorted(param.codes().items())[:12])
            raise _bad(f"Code inconnu « {code} » pour « {name} ». Codes possibles : "
                       f"{known}…", name)
        return [("eq", code)]
    prefix = f"{param.reference_type}/"  # reference
    target = value.removeprefix(prefix) if param.reference_type else value
    if "/" in target:
        raise _bad(f"Référence invalide pour « {name} » : « {value} » (attendu "
                   f"« {prefix}<id> » ou l'identifiant seul).", name)
    return [("eq", target)]


def count_query(query: Select) -> Select:
    return select(func.count()).select_from(query.order_by(None).subquery())


def searchset(request: Request, search: Search, resources: Sequence[dict], total: int) -> dict:
    """A FHIR searchset Bundle with `total`, one page of `resources` and paging links."""
    base = str(request.base_url).rstrip("/")
    path = f"{base}{request.url.path}"
    others = [(k, v) for k, v in search.query_items if k not in PAGING]

    def link(relation: str, offset: int) -> dict:
        query = urlencode([*others, ("_count", search.count), ("_offset", offset)])
        return {"relation": relation, "url": f"{path}?{query}"}

    links = [link("self", search.offset)]
    if search.count and search.offset + search.count < total:
        links.append(link("next", search.offset + search.count))
    if search.offset > 0:
        links.append(link("previous", max(0, search.offset - search.count)))
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": links,
        "entry": [
            {
                "fullUrl": f"{base}{request.url.path.rsplit('/', 1)[0]}/"
                           f"{r['resourceType']}/{r['id']}",
                "resource": r,
                "search": {"mode": "match"},
            }
            for r in resources
        ],
    }


# --- typed shapes for the OpenAPI spec (responses are built as dicts on the hot path) -------

class FhirResponse(JSONResponse):
    """JSON with the FHIR media type, serialised by orjson (resources are plain dicts)."""

    media_type = "application/fhir+json"

    def render(self, content: Any) -> bytes:
        import orjson

        return orjson.dumps(content)


class BundleLink(BaseModel):
    relation: str
    url: str


class BundleEntrySearch(BaseModel):
    mode: str


class BundleEntry(BaseModel):
    fullUrl: str
    resource: dict[str, Any]
    search: BundleEntrySearch


class Bundle(BaseModel):
    """A FHIR searchset Bundle (resources are FR Core FHIR R4 JSON)."""

    resourceType: Literal["Bundle"]
    type: Literal["searchset"]
    total: int
    link: list[BundleLink]
    entry: list[BundleEntry]


def openapi_parameters(params: Mapping[str, Param]) -> list[dict]:
    """OpenAPI query parameters documenting a search (the search itself stays strict)."""
    doc = [
        {"name": name, "in": "query", "required": False, "description": p.description,
         "schema": {"type": "string", "minLength": 1}}
        for name, p in params.items()
    ]
    doc.append({"name": "_count", "in": "query", "required": False,
                "description": "Nombre de résultats par page",
                "schema": {"type": "integer", "minimum": 0, "maximum": MAX_COUNT}})
    doc.append({"name": "_offset", "in": "query", "required": False,
                "description": "Rang du premier résultat (pagination)",
                "schema": {"type": "integer", "minimum": 0, "maximum": 10**9}})
    return doc


# --- OpenAPI: every operation may answer an OperationOutcome --------------------------------

OPERATION_OUTCOME_SCHEMA = {
    "type": "object",
    "title": "OperationOutcome",
    "description": "Erreur FHIR : le diagnostic dit en français ce qui ne va pas et comment "
                   "corriger la requête.",
    "required": ["resourceType", "issue"],
    "properties": {
        "resourceType": {"type": "string", "enum": ["OperationOutcome"]},
        "issue": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["severity", "code", "diagnostics"],
            "properties": {"severity": {"type": "string"}, "code": {"type": "string"},
                           "diagnostics": {"type": "string"},
                           "expression": {"type": "array", "items": {"type": "string"}}}}},
    },
}
_ERRORS = {
    "400": "Requête invalide (paramètre, corps JSON, valeur)",
    "401": "Authentification requise ou jeton invalide",
    "403": "Action refusée par la matrice d'habilitations",
    "404": "Ressource introuvable",
    "default": "Autre refus ou panne simulée (409, 410, 503…)",
}


def document_errors(spec: dict) -> dict:
    """Declare the OperationOutcome errors on every operation (and drop FastAPI's 422 shape,
    since validation errors are answered 400 with an OperationOutcome)."""
    spec.setdefault("components", {}).setdefault("schemas", {})["OperationOutcome"] = (
        OPERATION_OUTCOME_SCHEMA)
    content = {"application/fhir+json": {
        "schema": {"$ref": "#/components/schemas/OperationOutcome"}}}
    for methods in spec.get("paths", {}).values():
        for operation in methods.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            responses.pop("422", None)
            for status, text in _ERRORS.items():
                responses.setdefault(status, {"description": text, "content": content})
    schemas = spec["components"]["schemas"]
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return spec
