"""The hostile corpus: one submitted notebook per way a submission can attack its grader.

A tiny assignment `hostile` (one notebook, two exercises worth 2 and 3 points) and, for each
kind, what the student wrote and what the grader must give: the score and the French reason.
`build(release, folder)` writes the submissions from nbgrader's student version (so checksums
are nbgrader's own); `python tests/grading/hostile_corpus.py` rebuilds the copies kept in
`tests/grading/hostile/` for reading (the source notebook and one file per kind).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent / "hostile"
ASSIGNMENT = "hostile"
NOTEBOOK = "exercice"
GOOD = {"reponse": "reponse = VALEUR * 2", "double": "def double(x):\n    return 2 * x"}
# Where a submission looks for what it must not see (as nbgrader's cwd would allow).
SEARCH = ("[p for r in ('/tmp/**', '/home/**', '..', '../..', '../../..') "
          "for p in glob.glob(r + '/{0}', recursive=True)]")


def _cell(kind: str, grade_id: str, source: str, **meta) -> nbformat.NotebookNode:
    cell = new_code_cell(source) if kind == "code" else new_markdown_cell(source)
    cell.metadata["nbgrader"] = {"grade_id": grade_id, "schema_version": 3, "task": False,
                                 "grade": False, "solution": False, "locked": True, **meta}
    return cell


def source_notebook() -> nbformat.NotebookNode:
    return new_notebook(cells=[
        _cell("markdown", "intro", "# Exercice minuscule\nDeux réponses, cinq points."),
        _cell("code", "setup", "import glob\nimport os\n\nVALEUR = 21"),
        _cell("code", "reponse", "### BEGIN SOLUTION\nreponse = VALEUR * 2\n### END SOLUTION",
              solution=True, locked=False),
        _cell("code", "reponse-tests", "assert reponse == 42\n### BEGIN HIDDEN TESTS\n"
              "assert isinstance(reponse, int)\n### END HIDDEN TESTS", grade=True, points=2),
        _cell("code", "double", "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n"
              "    ### END SOLUTION", solution=True, locked=False),
        _cell("code", "double-tests", "assert double(2) == 4\n### BEGIN HIDDEN TESTS\n"
              "assert double(5) == 10\n### END HIDDEN TESTS", grade=True, points=3),
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                "language": "python"}})


@dataclass
class Kind:
    answers: dict[str, str]  # answer grade_id -> what the student wrote
    score: float | tuple[float, ...]  # out of 5 (a tuple: any of these)
    # incident kinds the grader reports for it: at least one of them (which limit strikes first
    # depends on the machine's load: a fork bomb meets the process or the time limit)
    reasons: set[str] = field(default_factory=set)
    edit: str | None = None  # a structural change: "delete", "reorder", "edit", "raw:<text>"
    # Runs until a time limit stops it: the tests grade such kinds one after the other, with
    # nothing beside them, so that no other kind's score depends on how loaded the machine is.
    burns: bool = False


KINDS = {
    "honnete": Kind(GOOD, 5),
    "boucle_infinie": Kind({**GOOD, "reponse": "while True:\n    pass"}, 3,
                           {"temps_cellule", "temps_depasse"}, burns=True),
    "sys_exit": Kind({**GOOD, "reponse": "import sys\nsys.exit(1)"}, 3),
    "os_exit": Kind({**GOOD, "reponse": "os._exit(0)"}, 0, {"noyau_arrete"}),
    "segfault": Kind({**GOOD, "reponse": "import ctypes\nctypes.string_at(0)"}, 0,
                     {"noyau_arrete"}),
    # 8 GiB at once: refused by the address-space limit before a page is touched.
    "bombe_memoire": Kind({**GOOD, "reponse": "blocs = [bytearray(8 * 1024 ** 3)]"}, 3,
                          {"memoire"}),
    # Its copies spin until the cell's time limit; what is left is killed when the cell ends,
    # so the next cells run as usual.
    "bombe_fork": Kind({**GOOD, "reponse": "while True:\n    os.fork()"}, 3,
                       {"temps_cellule", "processus"}, burns=True),
    "sortie_abondante": Kind({**GOOD, "reponse": "for _ in range(20):\n"
                              "    print('x' * 100_000, flush=True)\nreponse = VALEUR * 2"}, 5,
                             {"sortie_excessive"}),
    # Gigabytes: the kernel either dies of its own output buffer (memory limit) or is
    # interrupted at the cell time limit; either way the grader holds at most its caps.
    "sortie_geante": Kind({**GOOD, "reponse": "for _ in range(100_000):\n"
                           "    print('x' * 100_000)"}, (0, 3), burns=True),
    "image_geante": Kind({**GOOD, "reponse": "from IPython.display import display\n"
                          "display({'image/png': 'A' * (48 * 1024 * 1024)}, raw=True)\n"
                          "reponse = VALEUR * 2"}, 5),
    "test_supprime": Kind(GOOD, 3, {"cellule_supprimee"}, edit="delete"),
    "tests_reordonnes": Kind(GOOD, 3, {"cellules_reordonnees"}, edit="reorder"),
    "test_modifie": Kind({**GOOD, "reponse": "reponse = 0"}, 3, {"cellule_modifiee"},
                         edit="edit"),
    "assert_remplace": Kind({**GOOD, "reponse": "import builtins\n"
                             "builtins.AssertionError = type('Rien', (Exception,), {})\n"
                             "reponse = 0"}, 0, {"triche"}),
    "builtins_patches": Kind({**GOOD, "reponse": "import builtins\n"
                              "builtins.isinstance = lambda *a: True\nreponse = 42.0"}, 0,
                             {"triche"}),
    "sys_modules": Kind({**GOOD, "reponse": "import sys\nsys.modules['math'] = None\n"
                         "reponse = 42"}, 0, {"triche"}),
    "tue_le_parent": Kind({**GOOD, "reponse": "import signal\n"
                           "os.kill(os.getppid(), signal.SIGKILL)\nreponse = 42"}, 3),
    "lit_les_sources": Kind({**GOOD, "reponse": "chemins = " + SEARCH.format(
        "source/hostile/exercice.ipynb") + "\nopen(chemins[0] if chemins else "
        "'/cours/source/hostile/exercice.ipynb').read()\nreponse = VALEUR * 2"}, 3, {"fichier"}),
    "ecrit_le_carnet": Kind({**GOOD, "reponse": "chemins = " + SEARCH.format("gradebook.db")
                             + "\nopen(chemins[0] if chemins else '/cours/gradebook.db', 'w')"
                             ".write('rien')\nreponse = VALEUR * 2"}, 3, {"fichier"}),
    "ecrit_chez_un_autre": Kind({**GOOD, "reponse": "chemins = " + SEARCH.format(
        "submitted/honnete/hostile/exercice.ipynb") + "\nopen(chemins[0] if chemins else "
        "'/cours/submitted/honnete/hostile/exercice.ipynb', 'w').write('{}')\n"
        "reponse = VALEUR * 2"}, 3, {"fichier"}),
    # Loopback, on a port no sandbox service uses (the kernel's own network namespace has
    # nothing listening anyway): the test sends nothing beyond 127.0.0.1.
    "reseau": Kind({**GOOD, "reponse": "import socket\n"
                    "socket.create_connection(('127.0.0.1', 9), timeout=3)\n"
                    "reponse = VALEUR * 2"}, 3, {"reseau"}),
    "pas_du_json": Kind(GOOD, 0, {"illisible"}, edit="raw:ceci n'est pas un notebook"),
    "mauvais_nbformat": Kind(GOOD, 0, {"illisible"}, edit="raw:" + json.dumps(
        {"nbformat": 99, "nbformat_minor": 0, "metadata": {}, "cells": []})),
}


def submission(release: nbformat.NotebookNode, kind: Kind) -> str:
    """The submitted file's text for one kind."""
    if kind.edit and kind.edit.startswith("raw:"):
        return kind.edit[4:]
    nb = nbformat.from_dict(json.loads(json.dumps(release)))
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in kind.answers and cell.metadata.nbgrader.get("solution"):
            cell.source = kind.answers[grade_id]
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
    if kind.edit == "delete":
        nb.cells.pop(ids.index("reponse-tests"))
    elif kind.edit == "reorder":
        test = nb.cells.pop(ids.index("reponse-tests"))
        nb.cells.insert(ids.index("reponse"), test)
    elif kind.edit == "edit":
        nb.cells[ids.index("reponse-tests")].source = "pass  # plus de test"
    return nbformat.writes(nb)


def build(release: Path, folder: Path, kinds: dict[str, Kind] = KINDS,
          assignment: str = ASSIGNMENT) -> None:
    """Write submitted/<student>/<assignment>/exercice.ipynb under `folder`: one student per
    entry of `kinds`, named after it."""
    nb = nbformat.read(release, as_version=4)
    for name, kind in kinds.items():
        target = folder / "submitted" / name / assignment / f"{NOTEBOOK}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(submission(nb, kind), encoding="utf-8")


def write_course(root: Path, assignments: tuple[str, ...] = (ASSIGNMENT,)) -> None:
    """A course root holding the tiny assignment's source (under each name given)."""
    for assignment in assignments:
        source = root / "source" / assignment / f"{NOTEBOOK}.ipynb"
        source.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(source_notebook(), source)
    (root / "nbgrader_config.py").write_text(
        "c = get_config()  # noqa: F821\nc.CourseDirectory.course_id = 'hostile'\n"
        "c.Execute.timeout = 5\n", encoding="utf-8")


if __name__ == "__main__":  # rebuild the readable copies in tests/grading/hostile/
    import os
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        write_course(Path(tmp))
        path = os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])
        subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", ASSIGNMENT],
                       cwd=tmp, check=True, capture_output=True, env={**os.environ, "PATH": path})
        build(Path(tmp) / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", HERE)
        nbformat.write(source_notebook(), HERE / "source.ipynb")
