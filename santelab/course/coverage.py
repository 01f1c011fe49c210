"""Which competencies the course's graded cells prove, and the gaps (`santelab course coverage`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from santelab.course.catalog import GradedCell, course_cells, source_notebooks
from santelab.course.framework import COURSE_ROOT, Framework, load_framework

# The core hours of a domain must stay this close to the framework's (the issue's ± 20 %).
HOURS_TOLERANCE = 0.2


def _comma(text: str) -> str:
    """French decimals."""
    return text.replace(".", ",")


@dataclass(frozen=True, slots=True)
class Row:
    code: str
    title: str
    cells: int
    points: float
    minutes: int


@dataclass(frozen=True, slots=True)
class Coverage:
    framework: Framework
    rows: dict[str, list[Row]]  # domain -> one row per competency
    cells: list[GradedCell]
    strict_domains: list[str]  # domains all of whose assignments exist

    def problems(self) -> list[str]:
        """French messages for what makes the course incomplete or inconsistent."""
        found = []
        for cell in self.cells:
            where = f"{cell.assignment}/{cell.notebook}.ipynb, cellule {cell.grade_id}"
            if not cell.competencies:
                found.append(f"{where} : aucune compétence indiquée")
            for code in cell.competencies:
                if self.framework.competency_title(code) is None:
                    found.append(f"{where} : compétence inconnue {code}")
        for domain in self.strict_domains:
            for row in self.rows[domain]:
                if row.cells == 0:
                    found.append(f"{row.code} ({row.title}) : aucune cellule notée")
            hours = self.framework.domains[domain].hours
            core = self.core_minutes(domain) / 60
            low, high = hours * (1 - HOURS_TOLERANCE), hours * (1 + HOURS_TOLERANCE)
            if not low <= core <= high:
                found.append(_comma(f"{domain} : {core:.1f} h d'exercices du cœur, hors de "
                                    f"{low:.1f}–{high:.1f} h (référentiel : {hours:g} h ± 20 %)"))
        return found

    def core_minutes(self, domain: str) -> int:
        """Minutes of the domain's graded cells that are not "Pour aller plus loin"."""
        beyond = self.framework.beyond_core
        return sum(c.minutes for c in _domain_cells(self, domain)
                   if not c.extension and c.assignment not in beyond)


def compute(root: Path = COURSE_ROOT) -> Coverage:
    framework = load_framework(root)
    cells = course_cells(root)
    present = {assignment for assignment, _ in source_notebooks(root)}
    rows: dict[str, list[Row]] = {}
    for code, domain in framework.domains.items():
        rows[code] = []
        for comp, title in domain.competencies.items():
            mine = [c for c in cells if comp in c.competencies]
            rows[code].append(
                Row(comp, title, len(mine), sum(c.points for c in mine), sum(c.minutes for c in mine))
            )
    strict = [
        domain
        for domain in framework.domains
        if all(a in present for a, d in framework.assignments.items() if d == domain)
    ]
    return Coverage(framework, rows, cells, strict)


def _domain_cells(coverage: Coverage, domain: str) -> list[GradedCell]:
    """Cells naming at least one competency of the domain, each counted once."""
    return [c for c in coverage.cells if any(x.split(".")[0] == domain for x in c.competencies)]


def render(coverage: Coverage) -> str:
    """The French coverage table with per-domain totals."""
    lines = [
        "Couverture du référentiel par les cellules notées du cours",
        f"{'compétence':<11} {'cellules':>8} {'points':>7} {'minutes':>8}  intitulé",
    ]
    for code, domain in coverage.framework.domains.items():
        lines.append("")
        lines.append(f"{code} — {domain.title} ({domain.hours:g} h prévues)")
        for row in coverage.rows[code]:
            title = row.title if len(row.title) <= 70 else row.title[:69] + "…"
            lines.append(
                f"  {row.code:<9} {row.cells:>8} {row.points:>7g} {row.minutes:>8}  {title}"
            )
        mine = _domain_cells(coverage, code)
        minutes = sum(c.minutes for c in mine)
        core = coverage.core_minutes(code)
        lines.append(_comma(
            f"  {'total':<9} {len(mine):>8} {sum(c.points for c in mine):>7g} {minutes:>8}"
            f"  soit {core / 60:.1f} h d'exercices du cœur"
            + (f" (+ {(minutes - core) / 60:.1f} h hors du cœur : pour aller plus loin, exercices de crise)" if minutes > core else "")
        ))
    problems = coverage.problems()
    lines.append("")
    if problems:
        lines.append("À corriger :")
        lines.extend(f"  - {p}" for p in problems)
    else:
        lines.append("Aucun manque : chaque compétence exigée a au moins une cellule notée.")
    missing = [d for d in coverage.framework.domains if d not in coverage.strict_domains]
    if missing:
        lines.append(
            "Domaines dont un devoir manque encore (manques tolérés) : " + ", ".join(missing)
        )
    return "\n".join(lines)


def load_and_render(root: Path = COURSE_ROOT) -> tuple[str, bool]:
    coverage = compute(root)
    return render(coverage), not coverage.problems()
