"""The README's table of the course: one row per notebook, with its domain, the competencies
its graded cells prove and the minutes they are budgeted (read from the notebooks' metadata and
modules/competencies.yaml, so the README cannot drift from the course)."""

from __future__ import annotations

from pathlib import Path

from santelab.course.catalog import graded_cells, source_notebooks
from santelab.course.framework import COURSE_ROOT, load_framework
from santelab.course.sources import notebook

# Where the generated table stands in README.md.
BEGIN, END = "<!-- tableau des modules : début -->", "<!-- tableau des modules : fin -->"


def _title(path: Path) -> str:
    """The notebook's first heading, without its « D4 · Notebook 1 — » prefix."""
    for cell in notebook(path).cells:
        for line in cell.source.splitlines():
            if cell.cell_type == "markdown" and line.lstrip().startswith("# "):
                return line.lstrip()[2:].split(" — ", 1)[-1].strip()
    return path.stem


def _hours(minutes: int) -> str:
    return f"{minutes / 60:.1f} h".replace(".", ",")


def _order(code: str) -> tuple[str, int]:
    """D1.10 after D1.9."""
    domain, _, number = code.partition(".")
    return domain, int(number) if number.isdigit() else 0


def markdown(root: Path = COURSE_ROOT) -> str:
    framework = load_framework(root)
    lines = ["| Domaine | Notebook | Compétences | Durée |", "|---|---|---|---|"]
    total = total_core = 0
    for assignment, path in source_notebooks(root):
        domain = framework.domains[framework.assignments[assignment]]
        cells = graded_cells(assignment, path)
        codes = sorted({c for cell in cells for c in cell.competencies}, key=_order)
        minutes = sum(cell.minutes for cell in cells)
        core = 0 if assignment in framework.beyond_core else \
            sum(cell.minutes for cell in cells if not cell.extension)
        total += minutes
        total_core += core
        beyond = f" (+ {minutes - core} min hors du cœur)" if minutes > core else ""
        lines.append(f"| {domain.code} {domain.title} | `{assignment}/{path.stem}.ipynb` : "
                     f"{_title(path)} | {', '.join(codes)} | {core} min{beyond} |")
    lines.append(f"| | **Total des exercices notés** | | **{_hours(total_core)} du cœur "
                 f"(+ {_hours(total - total_core)} hors du cœur)** |")
    return "\n".join(lines)


def readme_block(root: Path = COURSE_ROOT) -> str:
    return f"{BEGIN}\n{markdown(root)}\n{END}"
