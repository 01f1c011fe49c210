"""Binder, simulated as repo2docker builds and starts it: a fresh virtual environment installs
the copied repository from binder/ alone (pip's registry and cache, nothing else), runs
`postBuild`, then `start` around a Jupyter server; a released notebook's set-up cell runs
through the server's REST and kernel APIs, and the sandbox started by `start` answers it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from fixtures.jupyter_kernels import Kernel
from fixtures.servers import ServerProcess, http_answers

from sandbox.ports import free_port
from santelab.lab import LAUNCHER_PAGES, TRAINER_PLUGINS

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1500)]

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = "d4_outils_numeriques/01_insi_dmp.ipynb"


def copy_repository(target: Path) -> None:
    """The files repo2docker would copy: tracked ones and new ones git does not ignore."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def run(command: list[str], **kwargs) -> None:
    result = subprocess.run(command, capture_output=True, text=True, timeout=1200, **kwargs)
    assert result.returncode == 0, f"{command}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"


def test_binder_builds_and_starts_the_lab_on_the_student_workspace(tmp_path):
    repo, venv, home = tmp_path / "repo", tmp_path / "venv", tmp_path / "home"
    copy_repository(repo)
    home.mkdir()
    run([sys.executable, "-m", "venv", str(venv)])
    # The environment of an image: its own PATH and HOME, none of the test run's settings.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SANTELAB_", "JUPYTER", "VIRTUAL_ENV"))}
    env.update(HOME=str(home), PATH=f"{venv / 'bin'}:/usr/bin:/bin", SANTELAB_PATIENTS="40",
               TMPDIR=str(tmp_path))
    run([str(venv / "bin" / "pip"), "install", "--quiet", "-r", "binder/requirements.txt"],
        cwd=repo, env=env)
    run([str(repo / "binder" / "postBuild")], cwd=repo, env=env)
    workspace = home / "espace-etudiant"
    assert (workspace / NOTEBOOK).is_file()

    port, token = free_port(), "jeton-binder"
    env.update(SANTELAB_PORT=str(free_port()), SANTELAB_SMTP_PORT=str(free_port()),
               SANTELAB_IMAP_PORT=str(free_port()))
    url, headers = f"http://127.0.0.1:{port}", {"Authorization": f"token {token}"}
    server = [str(venv / "bin" / "jupyter"), "lab", "--no-browser", f"--port={port}",
              "--ServerApp.ip=127.0.0.1", "--ServerApp.port_retries=0",
              f"--IdentityProvider.token={token}", *(["--allow-root"] * (os.geteuid() == 0))]
    with ServerProcess([str(repo / "binder" / "start"), *server], env=env, cwd=repo,
                       ready=http_answers(f"{url}/api/status", headers)):
        listing = httpx.get(f"{url}/api/contents", headers=headers, timeout=30).json()
        names = {item["name"] for item in listing["content"]}
        assert "d4_outils_numeriques" in names and "source" not in names  # the workspace
        released = httpx.get(f"{url}/api/contents/{NOTEBOOK}", headers=headers,
                             timeout=30).json()["content"]
        assert "BEGIN SOLUTION" not in json.dumps(released)
        page = httpx.get(f"{url}/lab", headers=headers, timeout=30).text
        disabled = json.loads(re.search(r'id="jupyter-config-data"[^>]*>(.*?)</script>', page,
                                        re.S).group(1)).get("disabledExtensions", [])
        assert set(TRAINER_PLUGINS) <= set(disabled), f"outils du formateur visibles : {disabled}"
        entries = httpx.get(f"{url}/server-proxy/servers-info", headers=headers,
                            timeout=30).json()["server_processes"]
        assert {e["name"] for e in entries} == {name for name, _t, _p in LAUNCHER_PAGES}
        docs = httpx.get(f"{url}/santelab/docs", headers=headers, timeout=30)
        assert docs.status_code == 200 and "/santelab/openapi.json" in docs.text
        set_up = next(c for c in released["cells"] if c["cell_type"] == "code")
        with Kernel(url, token) as kernel:
            output = kernel.run("".join(set_up["source"]))
            where = kernel.run("import os; print(os.environ.get('SANTELAB_URL'))")
    assert "Connecté au bac à sable « demo »" in output
    assert where.strip() == f"http://127.0.0.1:{env['SANTELAB_PORT']}"  # start's sandbox
