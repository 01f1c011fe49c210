"""The competency framework is data, every graded cell names known competencies, and every
competency of a domain whose assignments all exist is proved by at least one graded cell."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from course.tiny_course import TITLE, answer, autograded, md, write_course
from santelab.course.coverage import compute, render
from santelab.course.framework import load_framework
from synthetic_data.errors import SantelabError

OFFICIAL_HOURS = {"D1": 6, "D2": 5, "D3": 5, "D4": 6, "D5": 6}


def test_framework_matches_the_arrete():
    framework = load_framework()
    assert {d: x.hours for d, x in framework.domains.items()} == OFFICIAL_HOURS
    assert sum(OFFICIAL_HOURS.values()) == 28
    counts = {d: len(x.competencies) for d, x in framework.domains.items()}
    assert counts == {"D1": 6, "D2": 5, "D3": 4, "D4": 4, "D5": 4}
    assert framework.domains["D5"].title == "La télésanté"
    assert framework.assignments["d6_crise_cyber"] == "D2", "pas de domaine D6 : la crise prouve D2"


def test_course_coverage_has_no_gap():
    coverage = compute()
    assert coverage.cells, "aucune cellule notée"
    assert coverage.problems() == []


def test_core_hours_outside_twenty_percent_are_reported(tmp_path: Path):
    """D5 is 6 h: 5 h 50 of core exercises pass, 7 h 15 do not; "Pour aller plus loin"
    exercises are graded but never count in the core hours."""
    root = write_course(tmp_path / "cours", [
        md(TITLE), answer("a"), autograded("t1", ["D5.1", "D5.2", "D5.3", "D5.4"], minutes=350),
        md("## Pour aller plus loin (données)"), answer("b"),
        autograded("t2", ["D5.3"], minutes=90, extension=True),
    ])
    for assignment in load_framework(root).assignments:
        (root / "source" / assignment).mkdir(parents=True, exist_ok=True)
    coverage = compute(root)
    assert coverage.core_minutes("D5") == 350
    assert not [p for p in coverage.problems() if p.startswith("D5 :")]
    assert "(+ 1,5 h hors du cœur" in render(coverage)
    root = write_course(tmp_path / "cours", [
        md(TITLE), answer("a"), autograded("t1", ["D5.1", "D5.2", "D5.3", "D5.4"], minutes=435)])
    assert "D5 : 7,2 h d'exercices du cœur, hors de 4,8–7,2 h (référentiel : 6 h ± 20 %)" \
        in compute(root).problems()


def _course(tmp_path: Path, cells_competencies: list[list[str]]) -> Path:
    """A tiny course: the real framework and one D5 notebook whose graded cells name codes."""
    cells = [md(TITLE)]
    for i, codes in enumerate(cells_competencies):
        cells += [answer(f"a{i}"), autograded(f"t{i}", codes)]
    return write_course(tmp_path / "cours", cells)


def test_unknown_competency_and_gaps_are_reported(tmp_path: Path):
    coverage = compute(_course(tmp_path, [["D5.1"], ["D5.9"], []]))
    problems = coverage.problems()
    assert coverage.strict_domains == ["D5"], "seul D5 a tous ses devoirs"
    assert any("compétence inconnue D5.9" in p for p in problems)
    assert any("cellule t2 : aucune compétence" in p for p in problems)
    gaps = {p.split(" ")[0] for p in problems if "aucune cellule notée" in p}
    assert gaps == {"D5.2", "D5.3", "D5.4"}, "D1 à D4 n'ont pas leurs devoirs : manques tolérés"


def test_every_domain_is_strict_once_every_assignment_exists(tmp_path: Path):
    root = _course(tmp_path, [["D5.1"]])
    for assignment in load_framework(root).assignments:
        (root / "source" / assignment).mkdir(parents=True, exist_ok=True)
        (root / "source" / assignment / "n.md").write_bytes(
            (root / "source" / "d5_telesante" / "01_essai.md").read_bytes()
        )
    coverage = compute(root)
    assert sorted(coverage.strict_domains) == ["D1", "D2", "D3", "D4", "D5"]
    assert "D1.1 (" in "\n".join(coverage.problems())


def test_render_totals(tmp_path: Path):
    text = render(compute(_course(tmp_path, [["D5.1"], ["D5.1", "D5.2"]])))
    assert "  D5.1             2       4       20" in text
    assert "  D5.2             1       2       10" in text
    assert "  total            2       4       20  soit 0,3 h d'exercices du cœur" in text


def test_malformed_framework_is_a_french_error(tmp_path: Path):
    (tmp_path / "competencies.yaml").write_text("domains: [", encoding="utf-8")
    with pytest.raises(SantelabError, match="référentiel illisible"):
        load_framework(tmp_path)
    (tmp_path / "competencies.yaml").write_text(yaml.safe_dump({"domains": {}}), encoding="utf-8")
    with pytest.raises(SantelabError, match="clé manquante"):
        load_framework(tmp_path)


def _santelab(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "santelab", *args], capture_output=True,
                          text=True, check=False, env={**os.environ, "PYTHONWARNINGS": "ignore"})


def test_cli_prints_the_table():
    result = _santelab("course", "coverage")
    assert result.returncode == 0, result.stderr
    assert "Couverture du référentiel" in result.stdout
    for code in ("D1.1", "D2.5", "D3.4", "D4.4", "D5.4"):
        assert f"  {code} " in result.stdout
    assert "D5 — La télésanté (6 h prévues)" in result.stdout


def test_cli_strict_fails_on_gaps_and_bad_root(tmp_path: Path):
    result = _santelab("course", "coverage", "--strict", "--root", str(_course(tmp_path, [["D5.1"]])))
    assert result.returncode == 1 and "aucune cellule notée" in result.stdout
    bad = _santelab("course", "coverage", "--root", str(tmp_path / "absent"))
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert bad.stderr.startswith("santelab : erreur : dossier du cours introuvable")
