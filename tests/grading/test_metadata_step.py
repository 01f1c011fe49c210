"""CheckCellMetadataOnce accepts and refuses exactly what nbgrader's CheckCellMetadata does, with
the same error, while checking the metadata's JSON schema once instead of once a cell."""

from __future__ import annotations

import copy

import nbformat
import pytest
from jsonschema import ValidationError as SchemaError
from nbgrader.nbgraderformat import MetadataValidator, ValidationError
from nbgrader.preprocessors import CheckCellMetadata

from santelab.grading.steps.metadata import CheckCellMetadataOnce, CompiledMetadataValidator


def _graded_cell(**changes) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell("assert reponse == 4")
    cell.metadata.nbgrader = {"grade": True, "solution": False, "locked": True, "points": 2,
                              "grade_id": "test_reponse", "schema_version": 3, **changes}
    return cell


CASES = {
    "valide": {},
    "points négatifs": {"points": -1},
    "points en texte": {"points": "deux"},
    "grade en texte": {"grade": "oui"},
    "identifiant vide": {"grade_id": ""},
    "schéma trop ancien": {"schema_version": 2},
    "schéma trop récent": {"schema_version": 4},
}


def _outcome(validator, nb):
    try:
        validator.validate_nb(nb)
    except Exception as exc:  # the class and the text are what a trainer's log shows
        return type(exc), str(exc)
    return None


@pytest.mark.parametrize("case", CASES)
def test_same_verdict_as_nbgrader(case) -> None:
    nb = nbformat.v4.new_notebook(cells=[_graded_cell(**CASES[case])])
    expected = _outcome(MetadataValidator(), copy.deepcopy(nb))
    assert _outcome(CompiledMetadataValidator(), copy.deepcopy(nb)) == expected
    assert (expected is None) == (case == "valide")


def test_duplicate_grade_ids_are_refused_as_by_nbgrader() -> None:
    nb = nbformat.v4.new_notebook(cells=[_graded_cell(), _graded_cell()])
    assert _outcome(CompiledMetadataValidator(), nb) == _outcome(MetadataValidator(), nb)
    assert _outcome(CompiledMetadataValidator(), nb)[1] == "Duplicate grade id: test_reponse"


def test_the_step_refuses_like_nbgraders() -> None:
    bad = nbformat.v4.new_notebook(cells=[_graded_cell(points=-1)])
    good = nbformat.v4.new_notebook(cells=[_graded_cell()])
    for step in (CheckCellMetadata(), CheckCellMetadataOnce()):
        with pytest.raises(ValidationError, match="nbgrader metadata may be corrupted"):
            step.preprocess(copy.deepcopy(bad), {})
        assert step.preprocess(copy.deepcopy(good), {})[0] == good
    assert issubclass(SchemaError, ValidationError)  # schema errors are nbgrader's kind too
