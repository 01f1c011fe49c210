"""The `santelab grade` command: options, isolation check, run, French summary."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections import Counter
from pathlib import Path

from synthetic_data.errors import SantelabError

STATUS_LABELS = {"note": "notés", "echec": "en échec", "temps": "temps dépassé",
                 "triche": "tentatives de fraude"}


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "grade", help="noter toutes les copies d'un devoir (comme nbgrader autograde, en parallèle)",
        description="Note les copies rendues d'un devoir dans le carnet de notes de nbgrader, "
                    "chaque notebook dans un noyau neuf et isolé.",
    )
    parser.add_argument("assignment", metavar="DEVOIR", help="identifiant du devoir")
    parser.add_argument("--course", type=Path, default=Path.cwd(),
                        help="racine du cours nbgrader (par défaut : le dossier courant)")
    parser.add_argument("--student", action="append", metavar="ID",
                        help="ne noter que cet étudiant (option répétable)")
    parser.add_argument("--workers", type=int,
                        help="notebooks notés en même temps (par défaut : deux par cœur, dans "
                             "la limite de la mémoire libre, environ 600 Mio chacun)")
    parser.add_argument("--timeout", type=int, metavar="S", help="secondes par cellule")
    parser.add_argument("--force", action="store_true", help="renoter les copies déjà notées")
    parser.add_argument("--sans-isolation", dest="unisolated", action="store_true",
                        help="noter sans bac à sable bubblewrap (copies de confiance seulement)")
    parser.add_argument("--quiet", action="store_true", help="sans barre de progression")
    parser.add_argument("--scheduler", metavar="ADRESSE",
                        help="confier l'exécution à un cluster Dask (ex. tcp://127.0.0.1:8786) ; "
                             "par défaut : les postes locaux")
    parser.add_argument("--feedback", action="store_true",
                        help="produire ensuite le retour de chaque étudiant (HTML de nbgrader "
                             "et sa page de compétences)")
    parser.set_defaults(handler=grade_command)


def settings_for(course, args):
    from santelab.grading.host import isolation_available
    from santelab.grading.settings import GradingSettings, default_workers

    settings = GradingSettings(config=course.config)
    if args.workers is not None:
        if args.workers < 1:
            raise SantelabError("--workers : au moins 1")
        settings.workers = args.workers
    if settings.workers is None:
        settings.workers = default_workers()
    if args.timeout is not None:
        if args.timeout < 1:
            raise SantelabError("--timeout : au moins 1 seconde")
        settings.cell_timeout = args.timeout
    if args.unisolated:
        settings.isolation, settings.allow_unisolated = "none", True
    if settings.isolation == "bubblewrap" and not isolation_available():
        if not settings.allow_unisolated:
            raise SantelabError(
                "isolation impossible : bubblewrap (paquet Debian `bubblewrap`) est absent ou "
                "refusé ; installez-le, ou relancez avec --sans-isolation pour des copies de "
                "confiance")
        settings.isolation = "none"
    return settings


def sandbox_templates() -> Path | None:
    """The seeded sandbox templates the kernels copy (built here once, read-only for them)."""
    from sandbox.settings import Settings
    from sandbox.template_cache import build_template

    settings = Settings()
    return build_template(settings, settings.tenant).parent


def grade(course_root: Path, assignment: str, args, out=sys.stdout) -> list:
    """Grade `assignment` of the course at `course_root`; the outcomes, one per submission."""
    from santelab.grading.course import check_gradebook, find_submissions, open_course
    from santelab.grading.host import describe
    from santelab.grading.local import LocalHosts
    from santelab.grading.runner import Runner

    course = open_course(course_root)
    check_gradebook(course, assignment)
    course.coursedir.assignment_id = assignment
    submissions = find_submissions(course, assignment, args.student)
    settings = settings_for(course, args)
    if not settings.populations:
        from santelab.grading.warmup import populations_loaded

        released = course.root / course.coursedir.release_directory / assignment
        settings.populations = populations_loaded(sorted(released.glob("*.ipynb")))
    runner = Runner(course, assignment, settings, execute_factory=None, workers=settings.workers)
    todo = runner.pending(submissions, args.force)
    print(describe(settings), file=out)
    skipped = len(submissions) - len(todo)
    if skipped:
        print(f"{skipped} copie(s) déjà notée(s), ignorée(s) (--force pour les renoter)", file=out)
    if not todo:
        return []
    if getattr(args, "scheduler", None):
        from santelab.grading.distributed import DaskExecutors

        try:
            hosts = DaskExecutors(args.scheduler, settings, runner.steps.execute_config)
        except OSError as exc:
            raise SantelabError(f"ordonnanceur Dask injoignable ({args.scheduler}) : {exc}") from None
        workers = min(hosts.slots(), len(todo))
        print(f"exécution : cluster Dask {args.scheduler} ({hosts.slots()} poste(s))", file=out)
    else:
        workers = min(settings.workers, len(todo))
        print(f"exécution : {workers} poste(s) local(aux), un noyau neuf par notebook", file=out)
        hosts = LocalHosts(settings, sandbox_templates(), runner.steps.execute_config)
    try:
        if not getattr(args, "scheduler", None):
            hosts.start(workers)
        runner.execute_factory = hosts.factory
        runner.workers = workers
        # What is loaded by now (nbgrader, SQLAlchemy, the course) lives until the end: out of
        # the collector's full walks, which the notebooks' short-lived objects keep triggering.
        gc.freeze()
        outcomes = runner.run(todo, progress=not args.quiet)
    finally:
        hosts.close()
    print(summary(outcomes), file=out)
    return outcomes


def summary(outcomes: list) -> str:
    notebooks = [n for o in outcomes for n in o.notebooks]
    counts = Counter(n.status for n in notebooks)
    lines = [f"Bilan : {len(outcomes)} copie(s), {len(notebooks)} notebook(s) — "
             + ", ".join(f"{counts.get(k, 0)} {label}" for k, label in STATUS_LABELS.items())]
    failed = [o for o in outcomes if o.error]
    if failed:
        lines.append(f"{len(failed)} copie(s) non notée(s) :")
        lines += [f"  - {o.student} : {o.error}" for o in failed]
    if outcomes:
        mean = sum(o.seconds for o in outcomes) / len(outcomes)
        slowest = max(outcomes, key=lambda o: o.seconds)
        lines.append(f"Temps par étudiant : {mean:.1f} s en moyenne, au plus {slowest.seconds:.1f} s "
                     f"({slowest.student})")
    for n in notebooks:
        for i in n.incidents:
            lines.append(f"  ! {n.student} / {n.notebook} : {i['message']}")
    return "\n".join(lines)


def grade_command(args: argparse.Namespace) -> int:
    outcomes = grade(args.course, args.assignment, args)
    if args.feedback:
        feedback(args.course, args.assignment)
    bad = any(o.error for o in outcomes)
    return 1 if bad else 0


def feedback(course_root: Path, assignment: str, out=sys.stdout) -> None:
    """nbgrader's own feedback HTML for every graded student, and beside it the student's
    competency page for this assignment (feedback/<student>/<assignment>/competences.html)."""
    import subprocess

    from santelab.course.framework import load_framework
    from santelab.grading.competency import mastery
    from santelab.grading.course import open_course
    from santelab.grading.report import student_page

    course = open_course(course_root)
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    done = subprocess.run([sys.executable, "-m", "nbgrader", "generate_feedback", assignment,
                           "--force"], cwd=course.root, capture_output=True, text=True,
                          env={**os.environ, "PATH": path}, check=False)
    if done.returncode != 0:
        raise SantelabError(f"nbgrader generate_feedback a échoué : "
                            f"{(done.stderr.strip().splitlines() or ['sans message'])[-1]}")
    framework = load_framework(course.root)
    data = mastery(course.db_url, course.root, framework, [assignment])
    written = 0
    for student in data.students:
        folder = course.root / course.coursedir.feedback_directory / student / assignment
        if folder.is_dir():
            (folder / "competences.html").write_text(
                student_page(framework, data, student, f"devoir {assignment}"), encoding="utf-8")
            written += 1
    print(f"Retours écrits pour {written} étudiant(s) dans {course.coursedir.feedback_directory}/",
          file=out)




def register_report(subparsers) -> None:
    parser = subparsers.add_parser(
        "report", help="rapports de compétences (HTML, graphiques, CSV) depuis le carnet de notes",
        description="Rapports de compétences par étudiant et pour la promotion, à partir du "
                    "carnet de notes nbgrader et de modules/competencies.yaml.",
    )
    parser.add_argument("assignment", metavar="DEVOIR", nargs="?",
                        help="un devoir (ou --all pour tout le cours)")
    parser.add_argument("--all", action="store_true", help="tous les devoirs")
    parser.add_argument("--course", type=Path, default=Path.cwd(),
                        help="racine du cours nbgrader (par défaut : le dossier courant)")
    parser.add_argument("--out", type=Path, default=Path("rapports"),
                        help="dossier de sortie (par défaut : rapports/)")
    parser.set_defaults(handler=report_command)


def report_command(args: argparse.Namespace, out=sys.stdout) -> int:
    from santelab.course.framework import load_framework
    from santelab.grading.competency import mastery
    from santelab.grading.course import check_gradebook, open_course
    from santelab.grading.report import write_report

    if bool(args.assignment) == bool(args.all):
        raise SantelabError("donnez un devoir, ou --all pour tout le cours (pas les deux)")
    course = open_course(args.course)
    framework = load_framework(course.root)
    if args.assignment:
        check_gradebook(course, args.assignment)
    assignments = [args.assignment] if args.assignment else None
    data = mastery(course.db_url, course.root, framework, assignments)
    if not data.students:
        raise SantelabError("aucun étudiant dans le carnet de notes : notez d'abord les copies")
    scope = f"devoir {args.assignment}" if args.assignment else "tout le cours"
    page = write_report(args.out, framework, data, scope)
    print(f"Rapports écrits : {page} ({len(data.students)} étudiant(s)), "
          f"{args.out / 'competences.csv'}", file=out)
    return 0
