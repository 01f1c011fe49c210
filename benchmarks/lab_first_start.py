"""Fresh clone to JupyterLab ready: the first `make lab` on a new checkout (the venv, the
project's install, the course's release built by nbgrader, the sandbox's population seeded,
JupyterLab answering), then a second `make lab` on the same checkout, each broken down:

- install: `make` until it runs `santelab lab` (the venv and `pip install -e .[dev]`; nothing
  on the second run);
- preparation: `santelab lab` until the student's workspace is filled (the course's release,
  built once per course version; the services start meanwhile, seeding their population once);
- lab ready: until JupyterLab answers its API and the launcher says the services answer too.

The clone is a local `git clone` of this repository at REVISION (default: HEAD) into a
temporary folder, with a HOME of its own (so the sandbox's data folder, its templates and the
course's release start empty) but pip's usual cache: a new machine would add the downloads.
`--baseline REV` measures another revision the same way in the same run, first.

    .venv/bin/python benchmarks/lab_first_start.py [--baseline REV] [REVISION]   # ~5 min each
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the test suite's server helpers: tests.fixtures
from sandbox.ports import free_port  # noqa: E402
from tests.fixtures.servers import ServerProcess, http_answers  # noqa: E402

# Lines that mark the end of each phase (make echoes the command it runs).
LAUNCHED, WORKSPACE, LAB_LINE = "bin/santelab lab", "Espace étudiant :", "JupyterLab sur http"


def make_lab(clone: Path, env: dict[str, str]) -> dict[str, float]:
    """Seconds from `make lab` to each phase's end; the lab is then stopped."""
    port, token = free_port(), "jeton-mesure"
    ports = (f"--port {port} --sandbox-port {free_port()} --smtp-port {free_port()} "
             f"--imap-port {free_port()} --no-browser")
    api = http_answers(f"http://127.0.0.1:{port}/api/status", {"Authorization": f"token {token}"})
    lab = ServerProcess(["make", "lab", f"LAB_ARGS={ports}"], cwd=clone, timeout=1800,
                        env={**env, "JUPYTER_TOKEN": token},
                        ready=lambda: lab.seconds_to(LAB_LINE) is not None and api())
    try:
        lab.start()
        marks = {"install": lab.seconds_to(LAUNCHED), "preparation": lab.seconds_to(WORKSPACE),
                 "lab ready": lab.ready_seconds}
    finally:
        lab.stop(60)
    return marks


def report(label: str, marks: dict[str, float]) -> None:
    steps, before = [], 0.0
    for name, at in marks.items():
        steps.append(f"{name} {at - before:5.1f}")
        before = at
    print(f"{label:<14} {marks['lab ready']:6.1f} s = " + " + ".join(steps)
          + f"   (load {os.getloadavg()[0]:.1f})", flush=True)


def measure(revision: str) -> None:
    folder = Path(tempfile.mkdtemp(prefix="santelab-premier-lab-"))
    try:
        clone, home = folder / "santelab", folder / "home"
        home.mkdir()
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
        subprocess.run(["git", "checkout", "--quiet", revision], cwd=clone, check=True)
        cache = os.environ.get("PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip"))
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("SANTELAB_", "JUPYTER", "VIRTUAL_ENV"))}
        # The machine's Python itself (a pyenv shim would look for its versions under HOME).
        python = Path(sys.base_prefix) / "bin" / "python3"
        env.update(HOME=str(home), PIP_CACHE_DIR=cache, PYTHON=str(python))
        short = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=clone, text=True,
                               capture_output=True).stdout.strip()
        print(f"clone of {short} ({revision}), load average {os.getloadavg()[0]:.1f}", flush=True)
        report("first make lab", make_lab(clone, env))
        report("second", make_lab(clone, env))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("revision", nargs="?", default="HEAD")
    parser.add_argument("--baseline", metavar="REV", help="also measure this revision, first")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; seconds = install + preparation + lab ready")
    for revision in filter(None, [args.baseline, args.revision]):
        measure(revision)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
