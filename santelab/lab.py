"""`santelab lab`: the sandbox services and JupyterLab, in one command.

A student's lab opens on her own workspace (released notebooks only, see `workspace.py`), with
nbgrader's trainer extensions off; `--trainer` opens the course root with the formgrader.

Both servers run as children in their own sessions, so that Ctrl-C reaches only this launcher,
which then stops them in order (JupyterLab first, then the services) and waits for them. The
services start first and JupyterLab as soon as the workspace is filled, without waiting for
them: on a first start they seed their population while the course's release is built here.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
import webbrowser
from pathlib import Path

from santelab.course.framework import COURSE_ROOT
from santelab.workspace import fill_workspace, released_course
from synthetic_data.errors import SantelabError

SANDBOX_READY_TIMEOUT = 120.0  # seconds: the first start seeds the population
LAB_READY_TIMEOUT = 120.0
STOP_TIMEOUT = 15.0
# Defaults for every JupyterLab server of this venv: the interface in French (its language
# pack is a dependency of the lab), and no "news" toast fetching from the Internet.
QUIET_SETTINGS = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false",
                                                    "checkForUpdates": False},
    "@jupyterlab/translation-extension:plugin": {"locale": "fr_FR"},
}


def quiet_jupyterlab(prefix: Path = Path(sys.prefix)) -> None:
    """Merge our settings into the environment's JupyterLab overrides (idempotent)."""
    path = prefix / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    try:
        current = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except ValueError:
        current = {}
    merged = {**current, **QUIET_SETTINGS}
    if merged != current:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(merged, indent=2), encoding="utf-8")


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def _start(cmd: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(cmd, env=env, start_new_session=True)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _say(line: str) -> None:
    print(line, flush=True)


def _wait_listening(process: subprocess.Popen, port: int, timeout: float, *, exited: str,
                    late: str) -> None:
    """Return once `port` accepts connections; the French `exited` or `late` otherwise."""
    deadline = time.monotonic() + timeout
    while _port_free(port):
        if process.poll() is not None:
            raise SantelabError(exited)
        if time.monotonic() > deadline:
            raise SantelabError(late)
        time.sleep(0.1)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


# nbgrader's trainer tools, which a student's lab does without: its server extensions and
# the JupyterLab plugins of its menus and panels (with no exchange here, the assignment list
# has nothing to list; "Valider" stays).
TRAINER_EXTENSIONS = ("nbgrader.server_extensions.formgrader",
                      "nbgrader.server_extensions.course_list")
TRAINER_PLUGINS = ("@jupyter/nbgrader:create-assignment", "@jupyter/nbgrader:formgrader",
                   "@jupyter/nbgrader:course-list", "@jupyter/nbgrader:assignment-list",
                   "@jupyter/nbgrader:menu")


# The sandbox's pages in the lab's launcher: (proxy name, title, page under it).
LAUNCHER_PAGES = (("santelab", "Bac à sable : services et API", "docs"),
                  ("santelab-exercices", "Exercices de crise : joueurs et animateur",
                   "drill/accueil"))


def lab_config(folder: Path, *, student: bool, sandbox_port: int | None) -> Path:
    """A Jupyter configuration folder (for JUPYTER_CONFIG_PATH): the sandbox's pages as
    launcher entries, proxied by JupyterLab (a browser of Binder or of a JupyterHub cannot
    reach the sandbox's own port); for a student, the trainer's tools turned off."""
    labconfig = folder / "labconfig"
    labconfig.mkdir(parents=True, exist_ok=True)
    server: dict = {}
    if student:
        server["ServerApp"] = {"jpserver_extensions": dict.fromkeys(TRAINER_EXTENSIONS, False)}
    if sandbox_port is not None:
        server["ServerProxy"] = {"servers": {
            name: {"command": [], "port": sandbox_port, "new_browser_tab": True,
                   "launcher_entry": {"title": title, "path_info": f"{name}/{page}",
                                      "category": "santelab"}}
            for name, title, page in LAUNCHER_PAGES}}
    (folder / "jupyter_server_config.json").write_text(json.dumps(server), encoding="utf-8")
    (labconfig / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": dict.fromkeys(TRAINER_PLUGINS, True)} if student else {}),
        encoding="utf-8")
    return folder


def jupyter_command(port: int, root: Path) -> list[str]:
    """JupyterLab never opens the browser itself: the launcher does, once the services answer
    too (`open_browser`)."""
    cmd = [sys.executable, "-m", "jupyter", "lab", f"--port={port}",
           "--ServerApp.ip=127.0.0.1", "--ServerApp.port_retries=0",
           f"--ServerApp.root_dir={root}", "--no-browser"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    return cmd


def open_browser(lab_pid: int, url: str) -> None:
    """Open the lab in the browser through the page JupyterLab writes for it (it carries the
    login token), or at `url` if that page is not there."""
    from jupyter_core.paths import jupyter_runtime_dir

    page = Path(jupyter_runtime_dir()) / f"jpserver-{lab_pid}-open.html"
    webbrowser.open(page.as_uri() if page.is_file() else url)


def data_dir() -> Path:
    from sandbox.settings import Settings

    return Settings().data_dir


def student_config_folder() -> Path:
    """The student's Jupyter configuration folder (Binder's `start` puts it on
    JUPYTER_CONFIG_PATH)."""
    return data_dir() / "lab" / "etudiant"


def course_root(args: argparse.Namespace) -> Path:
    course = Path(args.root)
    if not (course / "nbgrader_config.py").exists():
        raise SantelabError(f"dossier du cours introuvable : {course}")
    return course


def lab_root(course: Path, args: argparse.Namespace,
             sandbox_port: int | None = None) -> tuple[Path, Path]:
    """The folder JupyterLab opens, and the configuration folder it runs with."""
    data = data_dir()
    if args.trainer:  # the formgrader reads the nbgrader notebooks built from the .md sources
        from santelab.course.sources import materialize  # jupytext: the trainer's only

        materialize(course / "source")
        return course, lab_config(data / "lab" / "formateur", student=False,
                                  sandbox_port=sandbox_port)
    workspace = Path(args.workspace) if args.workspace else data / "espace-etudiant"
    release = released_course(course, data / "cours", progress=_say)
    _say(fill_workspace(release, workspace).summary())
    return workspace, lab_config(student_config_folder(), student=True,
                                 sandbox_port=sandbox_port)


def prepare(args: argparse.Namespace) -> int:
    """Build what a first start needs and start nothing: the course's release, the student's
    workspace, the sandbox's seeded template and a quiet JupyterLab (Binder's postBuild)."""
    root, _config = lab_root(course_root(args), args,
                             None if args.no_sandbox else args.sandbox_port)
    quiet_jupyterlab()
    if not args.no_sandbox and importlib.util.find_spec("sandbox.template_cache") is not None:
        from sandbox.settings import Settings
        from sandbox.template_cache import build_template

        settings = Settings()
        build_template(settings, settings.tenant, progress=_say)
    _say(f"Lab prêt à démarrer : {root}")
    return 0


def run(args: argparse.Namespace) -> int:
    if args.prepare:
        return prepare(args)
    ports = ((args.port, "--port"), (args.sandbox_port, "--sandbox-port"),
             (args.smtp_port, "--smtp-port"), (args.imap_port, "--imap-port"))
    for port, option in ports:
        if not 0 < port < 65536:
            raise SantelabError(f"option {option} : port invalide {port}")
    if not _port_free(args.port):
        raise SantelabError(f"le port {args.port} est déjà pris : choisissez-en un autre avec --port")
    with_sandbox = not args.no_sandbox and importlib.util.find_spec("sandbox.cli") is not None
    if with_sandbox and not _port_free(args.sandbox_port):
        raise SantelabError(f"le port {args.sandbox_port} est déjà pris : choisissez-en un autre "
                            "avec --sandbox-port")
    course = course_root(args)
    env = dict(os.environ)
    children: list[subprocess.Popen] = []
    # Ctrl-C and a polite kill both stop everything, even where SIGINT came in ignored
    # (a launcher started in the background of a script).
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        if with_sandbox:  # seeds its population (first start) while the release is built here
            children.append(_start([sys.executable, "-m", "santelab", "sandbox", "up",
                                    "--port", str(args.sandbox_port),
                                    "--smtp-port", str(args.smtp_port),
                                    "--imap-port", str(args.imap_port)], env))
            env["SANTELAB_URL"] = f"http://127.0.0.1:{args.sandbox_port}"
        else:
            _say("Bac à sable non démarré : les notebooks le lancent en mémoire si besoin.")
        root, config = lab_root(course, args, args.sandbox_port if with_sandbox else None)
        quiet_jupyterlab()
        env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(
            [str(config), *filter(None, [os.environ.get("JUPYTER_CONFIG_PATH")])])
        lab = _start(jupyter_command(args.port, root), env)
        children.append(lab)
        if with_sandbox:
            _wait_listening(
                children[0], args.sandbox_port, SANDBOX_READY_TIMEOUT,
                exited="les services du bac à sable n'ont pas démarré (voir le message "
                       "ci-dessus) ; relancez avec --no-sandbox pour ouvrir le lab seul",
                late=f"les services du bac à sable ne répondent pas sur le port "
                     f"{args.sandbox_port}")
        _wait_listening(lab, args.port, LAB_READY_TIMEOUT,
                        exited="JupyterLab n'a pas démarré (voir le message ci-dessus)",
                        late=f"JupyterLab ne répond pas sur le port {args.port}")
        url = f"http://127.0.0.1:{args.port}/lab"
        _say(f"Lab prêt : JupyterLab sur {url} (Ctrl-C pour tout arrêter)")
        if args.browser:  # now, not when JupyterLab starts: a first start seeds meanwhile
            open_browser(lab.pid, url)
        code = lab.wait()
        if code != 0:
            raise SantelabError(f"JupyterLab s'est arrêté avec le code {code}")
    except KeyboardInterrupt:
        print("\nArrêt du lab et des services…", flush=True)
    finally:
        for child in reversed(children):
            _stop(child)
    print("Lab arrêté.")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    lab = subparsers.add_parser("lab", help="lancer le bac à sable et JupyterLab (espace étudiant, ou cours pour le formateur)")
    lab.add_argument("--port", type=int, default=8888, help="port de JupyterLab (défaut : 8888)")
    lab.add_argument("--sandbox-port", type=int, default=8400,
                     help="port HTTP des services (défaut : 8400)")
    lab.add_argument("--smtp-port", type=int, default=2525,
                     help="port SMTP MSSanté des services (défaut : 2525)")
    lab.add_argument("--imap-port", type=int, default=1143,
                     help="port IMAP MSSanté des services (défaut : 1143)")
    lab.add_argument("--no-sandbox", action="store_true",
                     help="ne pas lancer les services du bac à sable")
    lab.add_argument("--no-browser", dest="browser", action="store_false",
                     help="ne pas ouvrir le navigateur")
    lab.add_argument("--root", default=str(COURSE_ROOT), help="dossier du cours (défaut : modules/)")
    lab.add_argument("--workspace", metavar="DOSSIER",
                     help="espace étudiant (défaut : espace-etudiant dans le dossier de données)")
    lab.add_argument("--trainer", action="store_true",
                     help="formateur : ouvrir le dossier du cours avec le formgrader de nbgrader")
    lab.add_argument("--prepare", action="store_true",
                     help="préparer le premier démarrage (cours publié, espace étudiant, bac à "
                          "sable peuplé) sans rien lancer")
    lab.set_defaults(handler=run)
