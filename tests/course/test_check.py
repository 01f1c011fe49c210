"""`santelab course check` holds the course to its rules: the real course passes, and each rule
catches the defect it names in a tiny course written as a trainer would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from course.tiny_course import TITLE, answer, autograded, code, md, write_course
from santelab.course.check import check

WRONG = "r:\n  a: x = 2\n"
RUBRIC = ("**Votre réponse :**\n\n### BEGIN SOLUTION\n**Barème (2 points)**\n- 2 pt : tout\n"
          "### END SOLUTION")
FREE = {"nbgrader": {"grade_id": "libre", "grade": True, "solution": True, "points": 2},
        "santelab": {"competencies": ["D5.4"], "minutes": 5}}


def _problems(tmp_path: Path, cells, wrong: str | None = WRONG) -> list[str]:
    return check(write_course(tmp_path / "modules", cells, wrong=wrong))


def _only_course_problems(problems: list[str]) -> list[str]:
    """Leave out the coverage gaps of a one-notebook course (reported by their own tests)."""
    return [p for p in problems if p.startswith("d5_telesante/")]


def test_the_course_passes_its_check():
    problems = check()
    assert problems == [], "\n".join(problems)


def test_a_clean_tiny_notebook_passes(tmp_path: Path):
    cells = [md(TITLE), answer("a"), autograded("t", ["D5.1"]), md(RUBRIC, **FREE)]
    assert _only_course_problems(_problems(tmp_path, cells)) == []


def test_indented_title_and_hidden_charts(tmp_path: Path):
    cells = [md("    # Titre"), code('import matplotlib\nmatplotlib.use("Agg")'), answer("a"),
             autograded("t", ["D5.1"])]
    found = " ".join(_only_course_problems(_problems(tmp_path, cells)))
    assert "première cellule doit être un titre" in found
    assert "indenté de 4 espaces" in found
    assert "masque les graphiques" in found


def test_stub_inside_a_literal_is_a_syntax_error(tmp_path: Path):
    cells = [md(TITLE), code("reponses = {\n### BEGIN SOLUTION\n'a': 1,\n### END SOLUTION\n}",
                             nbgrader={"grade_id": "a", "solution": True}),
             autograded("t", ["D5.1"])]
    found = _only_course_problems(_problems(tmp_path, cells))
    assert any("la version étudiante ne s'analyse pas" in p and "cellule a" in p for p in found)


def test_rules_and_their_wrong_answers(tmp_path: Path):
    cells = [md(TITLE), answer("a"), autograded("t", ["D5.1"], rules=("r", "seuil")),
             autograded("u", ["D5.1"], rules=())]
    found = _only_course_problems(_problems(tmp_path, cells, wrong="r:\n  a: x = 2\nautre:\n  z: y\n"))
    assert any("règle « seuil » sans réponse fausse" in p for p in found)
    assert any("cellule u : aucune règle vérifiée" in p for p in found)
    assert any("règle inconnue « autre »" in p for p in found)
    assert any("« autre » pour une cellule inconnue z" in p for p in found)
    assert any("sans réponse fausse" in p for p in _problems(tmp_path / "b", cells[:3], wrong=None))


def test_rubric_only_in_the_solution(tmp_path: Path):
    visible = md("**Barème (2 points)**\n\n**Votre réponse :**\n\n### BEGIN SOLUTION\nOui\n"
                 "### END SOLUTION", **FREE)
    found = _only_course_problems(_problems(tmp_path, [md(TITLE), answer("a"),
                                                       autograded("t", ["D5.1"]), visible]))
    assert any("un barème visible dans la version étudiante" in p for p in found)
    assert any("réponse rédigée sans barème" in p for p in found)


def test_extension_cells_sit_under_their_title(tmp_path: Path):
    cells = [md(TITLE), answer("a"), autograded("t", ["D5.1"], extension=True),
             md("## Pour aller plus loin (données)"), answer("b"), autograded("u", ["D5.3"]),
             md("## Retour au cœur"), answer("c"), autograded("v", ["D5.1"])]
    found = _only_course_problems(_problems(tmp_path, cells, wrong=WRONG))
    assert any("cellule t : hors d'une partie" in p for p in found)
    assert any("cellule u : dans une partie" in p for p in found)
    assert not any("cellule v :" in p for p in found)


def test_official_source_and_grade_ids(tmp_path: Path):
    found = _only_course_problems(_problems(tmp_path, [
        md("# Titre sans lien"), answer("a"), autograded("t", [], points=0, minutes=0)]))
    assert any("aucune source officielle citée" in p for p in found)
    assert any("aucune compétence" in p for p in found)
    assert any("durée absente ou invalide" in p for p in found)
    assert any("aucun point" in p for p in found)
    duplicated = _problems(tmp_path / "b", [md(TITLE), answer("a"), answer("a")])
    assert any("grade_id en double ['a']" in p for p in duplicated)


def test_cli_exit_code(tmp_path: Path):
    root = write_course(tmp_path / "modules", [md("    # Titre"), answer("a"),
                                               autograded("t", ["D5.1"])], wrong=WRONG)
    result = subprocess.run([sys.executable, "-m", "santelab", "course", "check", "--root",
                             str(root)], capture_output=True, text=True, check=False,
                            env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert result.returncode == 1, result.stderr
    assert "indenté de 4 espaces" in result.stdout and "problème(s) à corriger" in result.stdout
