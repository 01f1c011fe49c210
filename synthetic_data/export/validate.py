"""Opt-in full validation of built resources against the fhir.resources R4B models."""

from __future__ import annotations

import importlib
from functools import cache

import orjson
from pydantic import ValidationError

from santelab.errors import SantelabError

RESOURCE_MODULES = {
    "Patient": "patient",
    "Practitioner": "practitioner",
    "PractitionerRole": "practitionerrole",
    "Organization": "organization",
    "Encounter": "encounter",
    "Condition": "condition",
    "Observation": "observation",
    "MedicationRequest": "medicationrequest",
    "Immunization": "immunization",
    "DocumentReference": "documentreference",
    "Binary": "binary",
    "Bundle": "bundle",
}


@cache
def model_class(resource_type: str) -> type:
    """The R4B model of a resource type (imported lazily: the models are slow to import)."""
    module = importlib.import_module(f"fhir.resources.R4B.{RESOURCE_MODULES[resource_type]}")
    return getattr(module, resource_type)


def validate_resource(resource: dict) -> None:
    """Raise a French SantelabError if the resource does not validate as FHIR R4(B)."""
    validate_serialised(resource, orjson.dumps(resource))


def validate_serialised(resource: dict, line: bytes) -> None:
    """Validate `line`, the exported JSON of `resource`: exactly the bytes written (and
    pydantic parsing JSON is faster than walking the dict)."""
    kind = resource.get("resourceType", "?")
    try:
        model_class(kind).model_validate_json(line)
    except (ValidationError, KeyError) as exc:
        first = str(exc).splitlines()[:3]
        raise SantelabError(
            f"ressource FHIR invalide {kind}/{resource.get('id', '?')} : {' '.join(first)}"
        ) from exc
