"""Course tooling: the competency framework, the catalogue of graded cells, coverage."""

from __future__ import annotations

import argparse
from pathlib import Path

from santelab.course.framework import COURSE_ROOT
from synthetic_data.errors import SantelabError


def _coverage(args: argparse.Namespace) -> int:
    from santelab.course.coverage import load_and_render  # nbformat: only for this command

    table, complete = load_and_render(_course(args))
    print(table)
    return 0 if complete or not args.strict else 1


def _build(args: argparse.Namespace) -> int:
    from santelab.course.sources import materialize  # jupytext: only for this command

    for path in materialize(_course(args) / "source"):
        print(f"écrit : {path}")
    return 0


def _check(args: argparse.Namespace) -> int:
    from santelab.course.check import check  # nbgrader, jupytext: only for this command

    problems = check(_course(args))
    for problem in problems:
        print(f"- {problem}")
    print(f"{len(problems)} problème(s) à corriger." if problems
          else "Le cours est prêt : aucune règle enfreinte.")
    return 1 if problems else 0


def _course(args: argparse.Namespace) -> Path:
    root = Path(args.root)
    if not (root / "source").is_dir():
        raise SantelabError(f"dossier du cours introuvable : {root} (il doit contenir source/)")
    return root


def _modules(args: argparse.Namespace) -> int:
    from santelab.course.modules_table import markdown  # nbformat: only for this command

    print(markdown(Path(args.root)))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    course = subparsers.add_parser("course", help="outils du cours noté (nbgrader)")
    actions = course.add_subparsers(dest="action", metavar="ACTION", parser_class=type(course))
    actions.required = True
    coverage = actions.add_parser(
        "coverage", help="tableau de couverture des compétences par les cellules notées"
    )
    coverage.add_argument(
        "--root", default=str(COURSE_ROOT), help="dossier du cours (par défaut : modules/)"
    )
    coverage.add_argument(
        "--strict", action="store_true", help="code de sortie 1 s'il reste un manque"
    )
    coverage.set_defaults(handler=_coverage)
    modules = actions.add_parser(
        "modules", help="tableau des notebooks (domaine, compétences, durée) en Markdown"
    )
    modules.add_argument(
        "--root", default=str(COURSE_ROOT), help="dossier du cours (par défaut : modules/)"
    )
    modules.set_defaults(handler=_modules)
    build = actions.add_parser(
        "build", help="écrire les notebooks nbgrader (.ipynb) à partir des sources .md"
    )
    build.add_argument(
        "--root", default=str(COURSE_ROOT), help="dossier du cours (par défaut : modules/)"
    )
    build.set_defaults(handler=_build)
    check = actions.add_parser(
        "check", help="vérifier les notebooks sources (identifiants, compétences, durées, "
        "règles et réponses fausses, barèmes, versions étudiantes)"
    )
    check.add_argument(
        "--root", default=str(COURSE_ROOT), help="dossier du cours (par défaut : modules/)"
    )
    check.set_defaults(handler=_check)
