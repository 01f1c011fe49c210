"""One worker's kernel host: the fork server (zygote), inside a bubblewrap sandbox or not.

The sandbox sees only what a kernel needs to run (the system's libraries, Python, the installed
packages, the seeded sandbox templates read-only) and an empty tmpfs; the course root, its
gradebook and every submission stay out of reach. Kernels talk to the grader over Unix sockets
in the worker's exchange folder, the only host folder bound read-write.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

from santelab.grading.settings import MIB, GradingSettings
from santelab.grading.zygote import receive_line
from synthetic_data.errors import SantelabError

BWRAP = shutil.which("bwrap") or "/usr/bin/bwrap"
READY_TIMEOUT = 180.0  # preloading the heavy modules on a busy 2-core machine
REQUEST_TIMEOUT = 20.0
# Packages kernels import from this checkout (an editable install binds only these folders).
PROJECT_PACKAGES = ("synthetic_data", "sandbox", "santelab")
SYSTEM_DIRS = ("/usr", "/etc", "/bin", "/sbin", "/lib", "/lib64", "/lib32")
DATA_DIR = "/santelab-data"  # where the seeded templates appear inside the sandbox


class HostLost(Exception):
    """The fork server died or stopped answering (a kernel may have attacked it)."""


def isolation_available() -> bool:
    if not Path(BWRAP).exists():
        return False
    probe = subprocess.run([BWRAP, "--ro-bind", "/", "/", "--unshare-pid", "--unshare-net",
                            "true"], capture_output=True, check=False)
    return probe.returncode == 0


def describe(settings: GradingSettings) -> str:
    """The French line the command prints about isolation."""
    if settings.isolation == "none":
        return "isolation : AUCUNE (noyaux lancés comme le correcteur, accès à tout le disque)"
    who = (f"utilisateurs dédiés uid {settings.grading_uid}+" if os.getuid() == 0
           else "même utilisateur (lancez en root pour un utilisateur dédié)")
    nproc = (f"{settings.max_processes} processus par poste (RLIMIT_NPROC), "
             if os.getuid() == 0 else "")
    return ("isolation : bubblewrap (espaces de noms montage/processus/réseau/IPC, "
            f"{who}, réseau : boucle locale du bac à sable seulement) ; limites par noyau : "
            f"{nproc}{settings.cpu_seconds} s de CPU par processus (RLIMIT_CPU), "
            f"{settings.memory_bytes // MIB} Mio de mémoire (RLIMIT_AS), processus laissés "
            "par une cellule arrêtés à sa fin")


def _package_dirs() -> list[Path]:
    found = []
    for name in PROJECT_PACKAGES:
        spec = find_spec(name)
        if spec and spec.submodule_search_locations:
            found.extend(Path(p) for p in spec.submodule_search_locations)
    return found


def _bind(args: list[str], made: set[str], source: Path, target: Path, *, rw: bool) -> None:
    """Bind `source` at `target`, creating the missing parents world-traversable (bwrap would
    make them 0700, out of reach of the kernel's uid)."""
    for parent in reversed(target.parents):
        if str(parent) != "/" and str(parent) not in made and parent.as_posix() not in SYSTEM_DIRS:
            args += ["--perms", "0755", "--dir", str(parent)]
            made.add(str(parent))
    args += ["--bind" if rw else "--ro-bind", str(source), str(target)]
    made.add(str(target))


def bwrap_command(settings: GradingSettings, exchange: Path, templates: Path | None) -> list[str]:
    args = [BWRAP]
    made: set[str] = set()
    for path in SYSTEM_DIRS:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
            made.add(path)
    args += ["--proc", "/proc", "--dev", "/dev",
             "--perms", "1777", "--size", str(settings.scratch_bytes), "--tmpfs", "/tmp"]
    made.add("/tmp")
    roots = {Path(sys.base_prefix).resolve(), Path(sys.prefix), *_package_dirs()}
    for root in sorted(roots):
        if not any(str(root).startswith(m + "/") or str(root) == m for m in SYSTEM_DIRS):
            _bind(args, made, root, root, rw=False)
    if templates is not None:
        _bind(args, made, templates, Path(DATA_DIR) / "templates", rw=False)
    _bind(args, made, exchange, exchange, rw=True)
    args += [
        "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
        "--unshare-cgroup-try", "--die-with-parent", "--new-session",
        "--clearenv", "--chdir", "/tmp",
    ]
    if os.getuid() == 0:
        args += ["--cap-drop", "ALL"]
        for cap in ("CAP_SETUID", "CAP_SETGID", "CAP_KILL", "CAP_FOWNER", "CAP_DAC_OVERRIDE"):
            args += ["--cap-add", cap]
    return args


def kernel_env() -> dict[str, str]:
    """Environment of the fork server and so of every kernel (what nbgrader's kernel gets,
    minus the grader's own variables; a fixed hash seed, as the course tests use)."""
    env = {
        "PATH": f"{Path(sys.prefix) / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "NBGRADER_EXECUTION": "autograde",
        "HOME": "/tmp",
    }
    if os.environ.get("PYTHONPATH"):  # kernels import the checkout the grader runs (a worktree)
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return env


@dataclass
class HostConfig:
    settings: GradingSettings
    index: int  # the worker's number: its uid offset and folder name
    templates: Path | None  # seeded sandbox templates, shared read-only


class KernelHost:
    """Starts, asks and restarts one worker's fork server."""

    def __init__(self, config: HostConfig, root: Path):
        self.config = config
        self.exchange = root / f"w{config.index}"
        self.process: subprocess.Popen | None = None
        self.ready = False  # the launched server said it listens

    @property
    def control(self) -> str:
        return str(self.exchange / "control")

    @property
    def kernel_dir(self) -> Path:
        return self.exchange / "k"

    def start(self) -> None:
        self.launch()
        self.wait_ready()

    def launch(self) -> None:
        """Start the server without waiting for it to preload.

        bubblewrap's `--die-with-parent` kills the sandbox when the *thread* that started it
        ends (PR_SET_PDEATHSIG follows the thread, not the process): call this from a thread
        that lives as long as the host is used."""
        settings = self.config.settings
        self.ready = False
        shutil.rmtree(self.exchange, ignore_errors=True)
        self.kernel_dir.mkdir(parents=True)
        os.chmod(self.kernel_dir, 0o1777)  # the kernel's uid binds its sockets here
        env = kernel_env()
        zygote = {
            "preload": list(settings.preload),
            "warmup": list(settings.warmup),
            "populations": [list(pair) for pair in settings.populations],
            "passes_ahead": settings.passes_ahead,
            "memory_bytes": settings.memory_bytes,
            "max_processes": settings.max_processes,
            "cpu_seconds": settings.cpu_seconds,
            "max_file_bytes": settings.max_file_bytes,
            "uid": None,
            "exchange": str(self.exchange),
            "scratch": "/tmp",  # the sandbox's own tmpfs
            "pid_namespace": True,
        }
        command = [sys.executable, "-m", "santelab.grading.zygote", self.control]
        if settings.isolation == "bubblewrap":
            if os.getuid() == 0:
                zygote["uid"] = settings.grading_uid + self.config.index
            if self.config.templates is not None:
                env["SANTELAB_DATA_DIR"] = DATA_DIR
            prefix = bwrap_command(settings, self.exchange, self.config.templates)
            for key, value in env.items():
                prefix += ["--setenv", key, value]
            command = [*prefix, *command]
            popen_env = None
        else:
            zygote["max_processes"] = None  # would count every process of this user
            zygote["pid_namespace"] = False
            zygote["scratch"] = str(self.exchange / "scratch")
            (self.exchange / "scratch").mkdir()
            if self.config.templates is not None:
                env["SANTELAB_DATA_DIR"] = str(self.config.templates.parent)
            popen_env = {**os.environ, **env}
        command.append(json.dumps(zygote))
        with open(self.exchange / "host.log", "wb") as log:
            self.process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=log, env=popen_env, start_new_session=True,
            )

    def wait_ready(self) -> None:
        """Wait until the launched server listens; raise, in French, if it never does."""
        if self.ready:
            return
        if self.process is None:  # never launched, or an earlier start failed: try again
            self.launch()
        settings = self.config.settings
        assert self.process is not None and self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], READY_TIMEOUT)
        line = self.process.stdout.readline() if ready else b""
        if line.strip() != b"ready":
            self.stop()
            log = (self.exchange / "host.log").read_text(errors="replace").strip()
            raise SantelabError(
                f"le serveur de noyaux du poste {self.config.index} n'a pas démarré "
                f"({settings.isolation}) : {log.splitlines()[-1] if log else 'sans message'}"
            )
        self.ready = True

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def ensure(self) -> None:
        if not self.alive():
            self.stop()
            self.start()

    def request(self, op: str, **fields) -> object:
        if not self.alive():
            raise HostLost("serveur de noyaux arrêté")
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                conn.settimeout(REQUEST_TIMEOUT)
                conn.connect(self.control)
                conn.sendall(json.dumps({"op": op, **fields}).encode() + b"\n")
                data = receive_line(conn)
            reply = json.loads(data)
        except (OSError, ValueError) as exc:
            raise HostLost(f"serveur de noyaux muet ({exc})") from None
        if "error" in reply:
            raise HostLost(reply["error"])
        return reply["ok"]

    def reset(self) -> None:
        """Kill what the last kernel left; restart the server if it is gone or stuck."""
        try:
            self.request("reset")
        except HostLost:
            self.stop()
            self.start()
        for entry in self.kernel_dir.iterdir():
            with contextlib.suppress(OSError):
                entry.unlink()

    def stop(self) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, 9)
            self.process.wait()
            if self.process.stdout:
                self.process.stdout.close()
            self.process = None


def exchange_root() -> Path:
    """A short folder for the workers' Unix sockets (paths are limited to 107 bytes), named
    after the grader's pid: what a killed grader leaves is found by its pid."""
    return Path(tempfile.mkdtemp(prefix=f"slg-{os.getpid()}-", dir="/tmp"))
