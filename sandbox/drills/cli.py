"""`santelab drill list|validate|run|engine|status|pause|resume|inject|end|report|debrief`: drills
from a shell.

The verbs act on the sandbox's store (the same `--db` as `santelab sandbox`); `run` starts a
drill and plays it in the foreground until it ends; `engine` plays every running drill of the
store (the way to resume after an engine was stopped or killed).
"""

from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path

from synthetic_data.errors import SantelabError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "drill", help="exercices de crise cyber (scénarios, moteur, animation)",
        description="Liste, vérifie, lance et anime les exercices de crise cyber du bac à sable.")
    verbs = parser.add_subparsers(dest="drill_command", metavar="ACTION",
                                  parser_class=type(parser))
    verbs.required = True
    verbs.add_parser("list", help="scénarios livrés").set_defaults(handler=run_list)
    check = verbs.add_parser("validate", help="vérifier un fichier de scénario")
    check.add_argument("file", type=Path, metavar="FICHIER")
    check.set_defaults(handler=run_validate)

    run = verbs.add_parser("run", help="lancer un scénario et le jouer jusqu'à la fin")
    _store(run)
    run.add_argument("scenario", metavar="SCENARIO", help="id d'un scénario livré ou fichier .yaml")
    run.add_argument("--niveau", default="intermédiaire",
                     choices=("débutant", "intermédiaire", "confirmé"), help="niveau de jeu")
    run.add_argument("--speed", type=float, default=1.0, metavar="X",
                     help="accélération du temps (60 : une minute de scénario par seconde)")
    run.add_argument("--graine", type=int, default=0, help="graine de la chronologie")
    run.add_argument("--exercice", metavar="ID", help="identifiant de l'exercice (défaut : tiré)")
    run.add_argument("--sans-moteur", action="store_true",
                     help="créer l'exercice sans le jouer (un « drill engine » le jouera)")
    run.set_defaults(handler=run_run)

    engine = verbs.add_parser("engine", help="jouer tous les exercices en cours de la base")
    _store(engine)
    engine.set_defaults(handler=run_engine)

    status = verbs.add_parser("status", help="état des exercices, ou d'un exercice")
    _store(status)
    status.add_argument("run", nargs="?", metavar="EXERCICE")
    status.set_defaults(handler=run_status)
    for verb, text in (("pause", "mettre un exercice en pause"), ("resume", "reprendre"),
                       ("end", "terminer un exercice")):
        control = verbs.add_parser(verb, help=text)
        _store(control)
        control.add_argument("run", metavar="EXERCICE")
        control.set_defaults(handler=run_control, verb=verb)
    inject = verbs.add_parser("inject", help="envoyer un inject maintenant")
    _store(inject)
    inject.add_argument("run", metavar="EXERCICE")
    inject.add_argument("key", metavar="INJECT")
    inject.set_defaults(handler=run_control, verb="inject")

    report = verbs.add_parser("report", help="RETEX d'un exercice : HTML, PDF, main courante CSV")
    _store(report)
    report.add_argument("run", metavar="EXERCICE")
    report.add_argument("--dossier", type=Path, default=Path("."), metavar="DOSSIER",
                        help="où écrire les fichiers (défaut : dossier courant)")
    report.add_argument("--sans-pdf", action="store_true", help="ne pas imprimer le PDF")
    report.set_defaults(handler=run_report)
    debrief = verbs.add_parser("debrief", help="noter une réponse du débriefing à chaud")
    _store(debrief)
    debrief.add_argument("run", metavar="EXERCICE")
    debrief.add_argument("question", choices=("reussites", "ameliorations", "actions"))
    debrief.add_argument("reponse", metavar="REPONSE")
    debrief.add_argument("--auteur", default="", help="qui répond (facultatif)")
    debrief.set_defaults(handler=run_debrief)


def _store(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="URL", help="base du bac à sable (défaut : fichier SQLite)")
    parser.add_argument("--tenant", help="tenant de l'exercice (défaut : demo)")
    parser.add_argument("--data-dir", type=Path, metavar="DOSSIER", help="dossier des données")


def _engine(args: argparse.Namespace):
    from sandbox.cli import settings_from
    from sandbox.drills.engine import Engine
    from sandbox.runtime import Sandbox

    settings = settings_from(args)
    return Engine(Sandbox.open(settings)), settings.tenant


def _service_errors(action):
    """A ServiceError of the engine (unknown run, paused twice…) as the CLI's one French line."""
    from sandbox.errors import ServiceError

    try:
        return action()
    except ServiceError as exc:
        raise SantelabError(exc.diagnostics) from None


def run_list(_args: argparse.Namespace) -> int:
    from sandbox.drills.scenario import shipped

    for scenario in shipped().values():
        print(f"{scenario.id:28} {scenario.titre}  [{', '.join(scenario.niveaux)}]")
    return 0


def run_validate(args: argparse.Namespace) -> int:
    from sandbox.drills.scenario import load_file

    scenario = load_file(args.file)
    print(f"{args.file} : scénario « {scenario.id} » valide ({len(scenario.injects)} injects, "
          f"{len(scenario.attentes)} attentes).")
    return 0


def run_run(args: argparse.Namespace) -> int:
    from sandbox.drills.scenario import find

    scenario = find(args.scenario)
    engine, tenant = _engine(args)
    run = _service_errors(lambda: engine.start(
        tenant, scenario, level=args.niveau, speed=args.speed, seed=args.graine,
        run_id=args.exercice, actor=("cli", "facilitateur")))
    base = engine.sandbox.settings.base_url
    print(f"Exercice {run} lancé ({scenario.id}, niveau {args.niveau}, vitesse ×{args.speed}) "
          f"dans le tenant {tenant}.\nConsole de l'animateur : {base}/drill/console/{run} ; "
          f"vue des joueurs : {base}/drill/equipes/<équipe>.", flush=True)
    if not args.sans_moteur:
        _serve(engine, (tenant, run))
        print(f"Exercice {run} terminé : score {engine.status(tenant, run)['score']}.")
    return 0


def run_engine(args: argparse.Namespace) -> int:
    engine, _tenant = _engine(args)
    print("Moteur d'exercices démarré. Arrêt : Ctrl+C", flush=True)
    _serve(engine, None)
    return 0


def _serve(engine, until) -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        engine.serve(stop, until_ended=until)
    except KeyboardInterrupt:
        stop.set()


def run_status(args: argparse.Namespace) -> int:
    engine, tenant = _engine(args)
    if args.run is None:
        for run in engine.runs(tenant):
            print(f"{run['exercice']:16} {run['scenario']:28} {run['niveau']:14} {run['etat']}")
        return 0
    status = _service_errors(lambda: engine.status(tenant, args.run))
    print(f"{status['exercice']} ({status['scenario']}, {status['niveau']}) : {status['etat']}, "
          f"T+{status['temps_scenario_s'] / 60:.1f} min, score {status['score']}/"
          f"{status['score_max']}")
    for step in status["etapes"]:
        print(f"  {step['prevu_s'] / 60:7.1f} min  {step['type']:7} {step['cle']:28} {step['etat']}")
    return 0


def run_control(args: argparse.Namespace) -> int:
    engine, tenant = _engine(args)
    actor = ("cli", "facilitateur")
    actions = {"pause": lambda: engine.pause(tenant, args.run, actor),
               "resume": lambda: engine.resume(tenant, args.run, actor),
               "end": lambda: engine.end(tenant, args.run, actor),
               "inject": lambda: engine.inject_now(tenant, args.run, args.key, actor)}
    _service_errors(actions[args.verb])
    print(f"Exercice {args.run} : {engine.status(tenant, args.run)['etat']}.")
    return 0


def run_report(args: argparse.Namespace) -> int:
    from sandbox import pdf
    from sandbox.drills import retex

    engine, tenant = _engine(args)
    report = _service_errors(lambda: retex.build(engine, tenant, args.run))
    args.dossier.mkdir(parents=True, exist_ok=True)
    html = retex.to_html(report)
    written = {f"retex-{args.run}.html": html.encode(),
               f"main-courante-{args.run}.csv": retex.log_csv(report).encode()}
    if not args.sans_pdf:
        written[f"retex-{args.run}.pdf"] = _service_errors(lambda: pdf.print_html(html))
    for name, content in written.items():
        (args.dossier / name).write_bytes(content)
        print(args.dossier / name)
    return 0


def run_debrief(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from sandbox.drills import journal
    from sandbox.drills.models import DrillRunRow
    from sandbox.drills.schemas import DebriefRequest
    from sandbox.errors import describe_validation_error

    try:
        answer = DebriefRequest(question=args.question, reponse=args.reponse, auteur=args.auteur)
    except ValidationError as exc:
        raise SantelabError(describe_validation_error(exc.errors()[0]) + ".") from None
    engine, tenant = _engine(args)
    _service_errors(lambda: engine.status(tenant, args.run))  # an unknown run: one French line
    with engine.sandbox.store.session() as session:
        journal.write(session, session.get(DrillRunRow, (tenant, args.run)),
                      engine.sandbox.clock.now(), journal.DEBRIEF, answer.model_dump(),
                      actor=("cli", "facilitateur"))
    print(f"Réponse notée ({journal.QUESTIONS[args.question]}) pour l'exercice {args.run}.")
    return 0
