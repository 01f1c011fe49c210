"""The course's source notebooks, stored as MyST Markdown text and turned into nbgrader notebooks.

Trainers edit `source/<assignment>/<notebook>.md` in any editor, or in JupyterLab where jupytext
opens it as a notebook. Only the cells nbgrader grades carry metadata in the text (the answer,
test and free-text cells, with their `grade_id`); every other cell is an instruction the
student may not change, so `notebook()` locks it with a stable id of its own. nbgrader reads
`.ipynb` files: `materialize()` writes them beside the text, where they are ignored by git.

jupytext and nbformat are imported by the functions that read a text: they bring jsonschema's
format checkers (1–3 s here), which listing the sources, at every `santelab lab`, does without.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from santelab.course.framework import COURSE_ROOT

if TYPE_CHECKING:
    from nbformat import NotebookNode

FORMAT = "md:myst"
SUFFIX = ".md"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class SourceError(ValueError):
    """A source notebook nbgrader could not use; the message says where, in French."""


def source_files(root: Path = COURSE_ROOT) -> list[tuple[str, Path]]:
    """Every (assignment, source) under `source/`, sorted: the `.md` texts, and the `.ipynb`
    of a plain nbgrader course (one with no text beside it, as a trainer's own course)."""
    found = []
    for path in sorted((root / "source").glob("*/*")):
        if path.suffix == SUFFIX or (path.suffix == ".ipynb"
                                     and not path.with_suffix(SUFFIX).exists()):
            found.append((path.parent.name, path))
    return found


def prefix(path: Path) -> str:
    """The id prefix of a notebook's locked cells: `d4_outils…/01_insi….md` -> `d4-01`."""
    return f"{path.parent.name.split('_')[0]}-{path.stem.split('_')[0]}"


def _nbgrader(meta: dict, locked_id: str) -> dict:
    """nbgrader's full cell metadata from what the text gives (nothing: a locked cell)."""
    if not meta:
        return {"grade": False, "grade_id": locked_id, "locked": True, "schema_version": 3,
                "solution": False, "task": False}
    solution = bool(meta.get("solution", False))
    full = {"grade": bool(meta.get("grade", False)), "grade_id": meta.get("grade_id"),
            "locked": bool(meta.get("locked", not solution)), "schema_version": 3,
            "solution": solution, "task": False}
    if "points" in meta:
        full["points"] = meta["points"]
    return full


def notebook(path: Path) -> NotebookNode:
    """The nbgrader notebook of one source text: every cell with nbgrader metadata and an id
    (a plain `.ipynb` source is nbgrader's already)."""
    import jupytext
    import nbformat

    if path.suffix == ".ipynb":
        try:
            return nbformat.read(path, as_version=4)
        except Exception as exc:  # not JSON, not a notebook
            raise SourceError(f"{path} : notebook illisible ({exc})") from None
    try:
        nb = jupytext.read(path, fmt=FORMAT)
    except Exception as exc:  # jupytext raises several kinds on malformed text
        raise SourceError(f"{path} : texte illisible comme notebook MyST ({exc})") from None
    locked = prefix(path)
    for index, cell in enumerate(nb.cells):
        meta = _nbgrader(cell.metadata.get("nbgrader", {}), f"{locked}-{index:02d}")
        if not meta["grade_id"] or not _ID.match(meta["grade_id"]):
            raise SourceError(f"{path}, cellule {index + 1} : grade_id absent ou invalide "
                              f"({meta['grade_id']!r}) ; lettres, chiffres, - et _ seulement")
        cell.metadata["nbgrader"] = meta
        cell["id"] = meta["grade_id"]
        if cell.cell_type == "code":
            cell.setdefault("outputs", [])
            cell.setdefault("execution_count", None)
    ids = [cell["id"] for cell in nb.cells]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise SourceError(f"{path} : grade_id en double {dupes}")
    nb.metadata.pop("jupytext", None)
    nb.metadata["kernelspec"] = KERNELSPEC
    nb.metadata["language_info"] = {"name": "python"}
    nb.nbformat, nb.nbformat_minor = 4, 5
    nbformat.validate(nb)
    return nb


def materialize(source: Path) -> list[Path]:
    """Write `<notebook>.ipynb` beside each `<notebook>.md` of a `source/` folder (rewritten
    only when it changes, so nbgrader and the release digest see a stable file)."""
    import nbformat

    written = []
    for path in sorted(source.glob(f"*/*{SUFFIX}")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        target = path.with_suffix(".ipynb")
        text = nbformat.writes(notebook(path)) + "\n"
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
        written.append(target)
    return written
