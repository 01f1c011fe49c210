"""The `fhir.resources` R4B models, with fhir_core's class-level checks computed per class.

fhir_core runs two model validators on every element it builds (a resource is ten to forty
elements): `reject_null_complex_elements` walks all the fields of the class asking pydantic
which ones are lists of complex types, and `validate_after_model_construction` asks the
instance which fields are required primitives or choices `value[x]`. Both answers depend on
the class only, yet they were recomputed for each element. Computing each answer once per
class takes a third off the validation time (6,800 → 10,200 resources/s on one core, both
measured by benchmarks/population.py). The checks themselves are unchanged
(tests/synthetic_data/test_fhir_models.py compares verdicts and error locations with the
unmodified library on valid and broken resources).

pydantic binds a model validator by name when each model class is built, so the faster
versions must be in place before any R4B model module is imported: import the models through
`model_class`, never from `fhir.resources.R4B.<module>` directly. The change applies only to
the fhir_core release it was written against (`PATCHED_RELEASE`); any other release keeps
its own validators.

`validate_json` also shares elements between the resources it validates: a Coding, a
reference to the patient or a `meta` recurs in most resources of a population (nine element
validations in ten, measured on 200 patients), and validating the same JSON of the same
class always gives the same valid element. It keeps each validated element under its class
and exact JSON, and a later equal one is that element, its subtree not walked again; what
fails is never kept, so errors and their locations come from a full validation. Shared
elements are only ever inside a result that `validate_json` discards, so nobody can edit one.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from functools import cache
from importlib.metadata import version
from typing import Any

import orjson
from fhir_core import fhirabstractmodel, types
from fhir_core.fhirabstractmodel import FHIRAbstractModel, is_list_type, is_primitive_type
from pydantic import ValidationError
from pydantic_core import PydanticCustomError

PATCHED_RELEASE = "1.1.12"


@cache
def _complex_list_fields(cls: type[FHIRAbstractModel]) -> tuple[tuple[str, str | None], ...]:
    """(name, alias) of the fields holding lists of complex elements, where null is refused
    (primitive lists and their `__ext` siblings keep nulls as positional placeholders)."""
    return tuple(
        (name, field.alias)
        for name, field in cls.model_fields.items()
        if is_list_type(field) and not is_primitive_type(field) and not name.endswith("__ext")
    )


def reject_null_complex_elements(cls: type[FHIRAbstractModel], data: Any) -> Any:
    """fhir_core's check, same errors, over the fields listed once per class."""
    if not isinstance(data, dict):
        return data
    errors = []
    for name, alias in _complex_list_fields(cls):
        key = alias if alias and alias in data else name
        value = data.get(key)
        if isinstance(value, list) and any(item is None for item in value):
            errors.append(
                {
                    "type": PydanticCustomError(
                        "list_type", "None is not allowed as an element of {field}", {"field": key}
                    ),
                    "loc": (key,),
                    "input": value,
                }
            )
    if errors:
        raise ValidationError.from_exception_data(cls.__name__, errors)
    return data


_AFTER_CHECKS: dict[type, tuple[bool, bool]] = {}


def validate_after_model_construction(self: FHIRAbstractModel) -> FHIRAbstractModel:
    """fhir_core's after-construction checks, skipped for classes that have nothing to check
    (no required primitive, no choice `value[x]`: most datatypes)."""
    checks = _AFTER_CHECKS.get(type(self))
    if checks is None:
        checks = (bool(self.get_required_fields()), bool(self.get_one_of_many_fields()))
        _AFTER_CHECKS[type(self)] = checks
    required, choices = checks
    if required:
        self._validate_required_primitive_elements()
    if choices:
        self._validate_one_of_many()
    return self


# Equal elements seen once wait in `_recent`; seen again, they move to `_shared`. The one-offs
# (identifiers, periods, documents) thus never crowd out the recurring ones; each table is
# emptied when full, which bounds the memory of a process.
RECENT_KEPT, SHARED_KEPT = 1_000, 2_000  # ~12 MB a process; twice as many: +16 MB, 9 % fewer misses
_recent: dict[tuple[type, bytes], FHIRAbstractModel] = {}
_shared: dict[tuple[type, bytes], FHIRAbstractModel] = {}
_sharing: ContextVar[bool] = ContextVar("sharing", default=False)  # inside validate_json
_element_validator: Callable[..., Any]  # fhir_core's own, set by _install


def fhir_model_validator(cls: type, value: Any, model_klass: type[FHIRAbstractModel]) -> Any:
    """fhir_core's element validation, answered from the elements shared in `validate_json`."""
    if not isinstance(value, dict) or not _sharing.get():
        return _element_validator(cls, value, model_klass)
    key = (model_klass, orjson.dumps(value))
    element = _shared.get(key)
    if element is not None:
        return element
    element = _recent.pop(key, None)
    if element is not None:
        if len(_shared) >= SHARED_KEPT:
            _shared.clear()
        _shared[key] = element
        return element
    element = _element_validator(cls, value, model_klass)
    if len(_recent) >= RECENT_KEPT:
        _recent.clear()
    _recent[key] = element
    return element


def validate_json(resource_type: str, line: bytes) -> None:
    """Validate one resource's JSON as its R4B model does, sharing equal elements (see the
    module docstring). Raises KeyError for an unknown type, ValidationError for invalid JSON."""
    model = model_class(resource_type)
    token = _sharing.set(True)
    try:
        model.model_validate_json(line)
    finally:
        _sharing.reset(token)


def _install() -> bool:
    global _element_validator
    if version("fhir_core") != PATCHED_RELEASE:
        return False
    _element_validator = types.FhirBase.fhir_model_validator.__func__
    model = fhirabstractmodel.FHIRAbstractModel
    model.reject_null_complex_elements = classmethod(reject_null_complex_elements)
    model.validate_after_model_construction = validate_after_model_construction
    types.FhirBase.fhir_model_validator = classmethod(fhir_model_validator)
    return True


INSTALLED = _install()


@cache
def model_class(resource_type: str) -> type[FHIRAbstractModel]:
    """The R4B model of a resource type, imported on first use (the models are slow to
    import). Raises KeyError for a type R4B does not have."""
    from fhir.resources.R4B import get_fhir_model_class

    try:
        return get_fhir_model_class(resource_type)
    except ValueError as exc:
        raise KeyError(resource_type) from exc
