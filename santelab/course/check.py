"""`santelab course check`: the rules a source notebook must follow before a class sees it.

Each rule is one small function over a parsed source notebook that yields French problems, in
the manner of nbgrader's preprocessors: adding a rule is adding a function to `RULES`. The
course-wide rules (the wrong answers that prove every stated rule, the core hours) follow.
"""

from __future__ import annotations

import ast
import copy
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml
from nbformat import NotebookNode
from nbgrader.preprocessors import ClearSolutions

from santelab.course.catalog import Exercise, exercises
from santelab.course.coverage import compute
from santelab.course.framework import COURSE_ROOT, load_framework
from santelab.course.sources import SourceError, notebook, source_files

# Where the wrong answers that prove each rule live (the course tests grade them).
WRONG_ANSWERS = Path("tests") / "course" / "wrong_answers"
RULE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,48}$")
# Sites whose pages a rule may cite as its official source.
OFFICIAL_SITES = (
    "cnil.fr", "esante.gouv.fr", "has-sante.fr", "cyber.gouv.fr", "ssi.gouv.fr",
    "legifrance.gouv.fr", "ameli.fr", "monespacesante.fr", "health-data-hub.fr",
    "cyberveille-sante.gouv.fr", "sante.gouv.fr", "service-public.fr", "who.int",
    "europa.eu", "insee.fr", "ansm.sante.fr", "solidarites-sante.gouv.fr", "gnius.esante.gouv.fr",
)
_LINK = re.compile(r"https?://([^/\s)>\]]+)")
_MAGIC = re.compile(r"^\s*[%!]")
_BACKEND_SWITCH = re.compile(r"matplotlib\.use\(|%matplotlib\s+(?!inline)")


@dataclass
class Source:
    """A source notebook as the rules read it."""

    assignment: str
    path: Path
    nb: NotebookNode
    exercises: list[Exercise]

    def where(self, cell: NotebookNode | None = None) -> str:
        name = f"{self.assignment}/{self.path.name}"
        return f"{name}, cellule {cell.metadata['nbgrader']['grade_id']}" if cell else name


def _ours(cell: NotebookNode) -> dict:
    return cell.metadata.get("santelab", {})


def _graded(cell: NotebookNode) -> bool:
    return bool(cell.metadata["nbgrader"].get("grade"))


def title_first(src: Source) -> Iterator[str]:
    """The first cell is a Markdown title (`# …` at the first column, not a code block)."""
    first = src.nb.cells[0] if src.nb.cells else None
    if first is None or first.cell_type != "markdown" or not first.source.startswith("# "):
        yield f"{src.where()} : la première cellule doit être un titre Markdown « # … »"
    for cell in src.nb.cells:
        if cell.cell_type == "markdown" and re.match(r"^( {4}|\t)\S", cell.source):
            yield f"{src.where(cell)} : texte indenté de 4 espaces, affiché comme du code"


def graded_metadata(src: Source) -> Iterator[str]:
    """Every graded cell names its competencies, its minutes and its points."""
    for cell in src.nb.cells:
        if not _graded(cell):
            continue
        ours = _ours(cell)
        if not ours.get("competencies"):
            yield f"{src.where(cell)} : aucune compétence (santelab.competencies)"
        minutes = ours.get("minutes")
        if not isinstance(minutes, int) or minutes <= 0:
            yield f"{src.where(cell)} : durée absente ou invalide (santelab.minutes)"
        if not cell.metadata["nbgrader"].get("points", 0) > 0:
            yield f"{src.where(cell)} : aucun point (nbgrader.points)"


def rules_named(src: Source) -> Iterator[str]:
    """Every autograded test cell names the stated rules it checks, and follows an answer."""
    for exercise in src.exercises:
        if not exercise.answer_ids:
            yield f"{src.where()}, cellule {exercise.test_id} : aucune cellule réponse avant elle"
        if not exercise.rules:
            yield (f"{src.where()}, cellule {exercise.test_id} : aucune règle vérifiée "
                   "(santelab.rules)")
        for rule in exercise.rules:
            if not RULE_ID.match(str(rule)):
                yield f"{src.where()}, cellule {exercise.test_id} : identifiant de règle invalide {rule!r}"


def rubric_hidden(src: Source) -> Iterator[str]:
    """A free-text answer's rubric sits in its solution region, so the release shows none."""
    for cell in src.nb.cells:
        meta = cell.metadata["nbgrader"]
        inside, outside = _split_solution(cell.source)
        if meta.get("solution") and meta.get("grade") and cell.cell_type == "markdown" \
                and "Barème" not in inside:
            yield f"{src.where(cell)} : réponse rédigée sans barème dans sa zone solution"
        if "Barème" in outside:
            yield f"{src.where(cell)} : un barème visible dans la version étudiante"


def _split_solution(text: str) -> tuple[str, str]:
    inside, outside, within = [], [], False
    for line in text.splitlines():
        if line.strip() == "### BEGIN SOLUTION":
            within = True
        elif line.strip() == "### END SOLUTION":
            within = False
        else:
            (inside if within else outside).append(line)
    return "\n".join(inside), "\n".join(outside)


def charts_inline(src: Source) -> Iterator[str]:
    """A non-interactive backend (`matplotlib.use("Agg")`, `%matplotlib agg`) draws into
    nothing in JupyterLab: it hides the charts a student is graded on."""
    for cell in src.nb.cells:
        if cell.cell_type == "code" and _BACKEND_SWITCH.search(cell.source):
            yield f"{src.where(cell)} : le backend matplotlib choisi masque les graphiques"


def stubs_compile(src: Source) -> Iterator[str]:
    """The student version parses: a solution region inside an expression would leave a stub
    that is a SyntaxError instead of a NotImplementedError."""
    clear = ClearSolutions(code_stub={"python": "# VOTRE CODE ICI\nraise NotImplementedError()"},
                           text_stub="VOTRE RÉPONSE ICI")
    released, _ = clear.preprocess(copy.deepcopy(src.nb), {})
    for cell in released.cells:
        if cell.cell_type != "code":
            continue
        code = "\n".join("pass" if _MAGIC.match(line) else line for line in cell.source.splitlines())
        try:
            ast.parse(code)
        except SyntaxError as exc:
            yield f"{src.where(cell)} : la version étudiante ne s'analyse pas ({exc.msg}, ligne {exc.lineno})"


def extensions_marked(src: Source) -> Iterator[str]:
    """A graded cell is marked `extension` exactly when it sits in a `## Pour aller plus loin`
    section (a section runs to the next `## ` heading)."""
    under = False
    for cell in src.nb.cells:
        if cell.cell_type == "markdown":
            for heading in re.findall(r"^## (.*)$", cell.source, re.M):
                under = "Pour aller plus loin" in heading
        if _graded(cell) and bool(_ours(cell).get("extension")) != under:
            where = "dans une" if under else "hors d'une"
            yield (f"{src.where(cell)} : {where} partie « Pour aller plus loin », la cellule "
                   f"doit {'' if under else 'ne pas '}porter santelab.extension")


def sources_cited(src: Source) -> Iterator[str]:
    """A notebook that teaches graded rules links at least one official source."""
    if not src.exercises:
        return
    hosts = {m.group(1).lower() for c in src.nb.cells if c.cell_type == "markdown"
             for m in _LINK.finditer(c.source)}
    if not any(h == site or h.endswith("." + site) for h in hosts for site in OFFICIAL_SITES):
        yield f"{src.where()} : aucune source officielle citée (lien vers {', '.join(OFFICIAL_SITES[:4])}…)"


RULES: list[Callable[[Source], Iterator[str]]] = [
    title_first, graded_metadata, rules_named, rubric_hidden, charts_inline, stubs_compile,
    extensions_marked, sources_cited,
]


def load_wrong_answers(root: Path, assignment: str, stem: str) -> dict[str, dict[str, str]]:
    """`rule id -> {answer grade_id -> source}` of one notebook (empty when there is none)."""
    path = root.parent / WRONG_ANSWERS / assignment / f"{stem}.yaml"
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise SourceError(f"{path} : attendu « règle: {{grade_id de réponse: code}} »")
    return {str(rule): {str(k): str(v) for k, v in answers.items()} for rule, answers in data.items()}


def wrong_answers_cover(src: Source, root: Path) -> Iterator[str]:
    """Every stated rule has at least one wrong answer, and every wrong answer aims at a rule
    and at answer cells that exist."""
    try:
        wrong = load_wrong_answers(root, src.assignment, src.path.stem)
    except SourceError as exc:
        yield str(exc)
        return
    stated = {rule for e in src.exercises for rule in e.rules}
    answers = {a for e in src.exercises for a in e.answer_ids}
    for rule in sorted(stated - set(wrong)):
        yield f"{src.where()} : règle « {rule} » sans réponse fausse ({WRONG_ANSWERS}/…)"
    for rule, cells in sorted(wrong.items()):
        if rule not in stated:
            yield f"{src.where()} : réponse fausse pour une règle inconnue « {rule} »"
        for grade_id in sorted(set(cells) - answers):
            yield f"{src.where()} : réponse fausse « {rule} » pour une cellule inconnue {grade_id}"


def check(root: Path = COURSE_ROOT) -> list[str]:
    """Every problem of the course, in French; empty when the course is ready for a class."""
    problems: list[str] = []
    unreadable = False
    framework = load_framework(root)
    for assignment, path in source_files(root):
        if assignment not in framework.assignments:
            problems.append(f"{assignment} : devoir absent de competencies.yaml")
        try:
            nb = notebook(path)
        except SourceError as exc:
            problems.append(str(exc))
            unreadable = True
            continue
        src = Source(assignment, path, nb, exercises(nb))
        for rule in RULES:
            if not (rule is extensions_marked and assignment in framework.beyond_core):
                problems.extend(rule(src))
        problems.extend(wrong_answers_cover(src, root))
    if not unreadable:  # the coverage reads every notebook
        problems.extend(compute(root).problems())
    return problems
