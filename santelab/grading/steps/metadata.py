"""nbgrader's CheckCellMetadata, with the metadata's JSON schema checked and compiled once.

nbgrader validates every cell's metadata with `jsonschema.validate(metadata, schema)`, which
first checks the schema itself against its metaschema, then compiles a validator: for each
cell, twice a notebook (a seventh of the grader's own CPU). Here the schema is checked and
compiled once; each cell goes through the same checks as in nbgrader, in the same order, and
a cell that fails raises the same error (jsonschema's `best_match`, as `validate` raises).
"""

from __future__ import annotations

import traceback
from functools import cache

from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from nbgrader.nbgraderformat import (
    MetadataValidator,
    SchemaTooNewError,
    SchemaTooOldError,
    ValidationError,
)
from nbgrader.nbgraderformat.common import BaseMetadataValidator
from nbgrader.preprocessors import CheckCellMetadata


@cache
def _compiled_schema():
    """nbgrader's metadata schema, checked against its metaschema once, compiled."""
    schema = MetadataValidator().schema
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


class _CompiledSchema(BaseMetadataValidator):
    def validate_cell(self, cell) -> None:
        if "nbgrader" not in cell.metadata:
            return
        meta = cell.metadata["nbgrader"]
        version = meta.get("schema_version", 0)
        if version < self.schema_version:
            raise SchemaTooOldError(
                f"Outdated schema version: {version} (expected {self.schema_version})",
                version, self.schema_version)
        if version > self.schema_version:
            raise SchemaTooNewError(
                f"Schema version is too new: {version} (expected {self.schema_version})",
                version, self.schema_version)
        error = best_match(_compiled_schema().iter_errors(meta))
        if error is not None:
            raise error


class CompiledMetadataValidator(MetadataValidator, _CompiledSchema):
    """nbgrader's own validator (its checks beyond the schema run unchanged, in its order)."""


class CheckCellMetadataOnce(CheckCellMetadata):
    def preprocess(self, nb, resources):
        try:
            CompiledMetadataValidator().validate_nb(nb)
        except ValidationError:
            self.log.error(traceback.format_exc())
            msg = "Notebook failed to validate; the nbgrader metadata may be corrupted."
            self.log.error(msg)
            raise ValidationError(msg) from None
        return nb, resources
