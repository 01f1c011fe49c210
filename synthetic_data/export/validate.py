"""Opt-in full validation of built resources against the fhir.resources R4B models."""

from __future__ import annotations

import orjson
from pydantic import ValidationError

from synthetic_data.errors import SantelabError
from synthetic_data.fhir_models import validate_json


def validate_resource(resource: dict) -> None:
    """Raise a French SantelabError if the resource does not validate as FHIR R4(B)."""
    validate_serialised(resource, orjson.dumps(resource))


def validate_serialised(resource: dict, line: bytes) -> None:
    """Validate `line`, the exported JSON of `resource`: exactly the bytes written (and
    pydantic parsing JSON is faster than walking the dict)."""
    kind = resource.get("resourceType", "?")
    try:
        validate_json(kind, line)
    except (ValidationError, KeyError) as exc:
        first = str(exc).splitlines()[:3]
        raise SantelabError(
            f"ressource FHIR invalide {kind}/{resource.get('id', '?')} : {' '.join(first)}"
        ) from exc
