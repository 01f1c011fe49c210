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
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import version
from typing import Any

from fhir_core import fhirabstractmodel
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


def _install() -> bool:
    if version("fhir_core") != PATCHED_RELEASE:
        return False
    model = fhirabstractmodel.FHIRAbstractModel
    model.reject_null_complex_elements = classmethod(reject_null_complex_elements)
    model.validate_after_model_construction = validate_after_model_construction
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
