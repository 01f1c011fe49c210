"""Write the source notebooks of the course from their build scripts.

Each `modules/build/<assignment>.py` defines `notebooks() -> dict[str, NotebookBuilder]`; this
script writes them to `modules/source/<assignment>/<name>.ipynb`. Run it after any edit:
`python modules/build/build.py` (optionally with assignment ids to rebuild only those).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from santelab.course.authoring import write

BUILD = Path(__file__).resolve().parent
SOURCE = BUILD.parent / "source"


def build(assignment: str) -> list[Path]:
    spec = importlib.util.spec_from_file_location(assignment, BUILD / f"{assignment}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    written = []
    for name, builder in module.notebooks().items():
        path = SOURCE / assignment / f"{name}.ipynb"
        write(builder.notebook(), path)
        written.append(path)
    return written


def main(argv: list[str]) -> None:
    assignments = argv or sorted(p.stem for p in BUILD.glob("d*_*.py"))
    for assignment in assignments:
        for path in build(assignment):
            print(f"écrit : {path.relative_to(BUILD.parent)}")


if __name__ == "__main__":
    main(sys.argv[1:])
