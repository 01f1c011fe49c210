"""Fresh clone to JupyterLab ready: the first `make lab` on a new checkout (the venv, the
project's install, the course's release built by nbgrader, the sandbox's population seeded,
JupyterLab answering), then a second `make lab` on the same checkout.

The clone is a local `git clone` of this repository's HEAD into a temporary folder, with a
HOME of its own (so the sandbox's data folder, its templates and the course's release start
empty) but pip's usual cache: a new machine would add the downloads. Ready means JupyterLab's
`/api/status` answers (`santelab lab` starts it once the sandbox's services answer).

    .venv/bin/python benchmarks/lab_first_start.py          # ~5 min here
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the test suite's server helpers: tests.fixtures
from sandbox.ports import free_port  # noqa: E402
from tests.fixtures.servers import ServerProcess, http_answers  # noqa: E402


def make_lab(clone: Path, env: dict[str, str]) -> float:
    """Seconds from `make lab` to JupyterLab answering; the lab is then stopped."""
    port, token = free_port(), "jeton-mesure"
    ports = (f"--port {port} --sandbox-port {free_port()} --smtp-port {free_port()} "
             f"--imap-port {free_port()} --no-browser")
    lab = ServerProcess(["make", "lab", f"LAB_ARGS={ports}"], cwd=clone, timeout=1800,
                        env={**env, "JUPYTER_TOKEN": token},
                        ready=http_answers(f"http://127.0.0.1:{port}/api/status",
                                           {"Authorization": f"token {token}"}))
    started = time.perf_counter()
    try:
        lab.start()
        return time.perf_counter() - started
    finally:
        lab.stop(60)


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="santelab-premier-lab-"))
    try:
        clone, home = folder / "santelab", folder / "home"
        home.mkdir()
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
        cache = os.environ.get("PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip"))
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("SANTELAB_", "JUPYTER", "VIRTUAL_ENV"))}
        # The machine's Python itself (a pyenv shim would look for its versions under HOME).
        python = Path(sys.base_prefix) / "bin" / "python3"
        env.update(HOME=str(home), PIP_CACHE_DIR=cache, PYTHON=str(python))
        print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; clone of "
              f"{subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=ROOT, text=True, capture_output=True).stdout.strip()}")
        first = make_lab(clone, env)
        print(f"first make lab (venv + install + release + population + JupyterLab): {first:6.1f} s")
        second = make_lab(clone, env)
        print(f"second make lab:                                                     {second:6.1f} s")
        print(f"load average at the end {os.getloadavg()[0]:.1f}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
