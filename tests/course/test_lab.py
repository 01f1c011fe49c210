"""`santelab lab` really starts JupyterLab — on the student's workspace, or on the course for
the trainer — and Ctrl-C stops it cleanly."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import requests
from fixtures.lab import Lab

from santelab.lab import LAUNCHER_PAGES, TRAINER_PLUGINS


@pytest.mark.slow
@pytest.mark.xdist_group("release")
@pytest.mark.parametrize(("with_sandbox", "trainer"), [(False, False), (True, False), (False, True)],
                         ids=["etudiant-lab-seul", "etudiant-avec-services", "formateur"])
def test_lab_starts_jupyterlab_and_stops_on_ctrl_c(tmp_path: Path, with_sandbox: bool,
                                                  trainer: bool, released):
    launcher = Lab(tmp_path, released, *(["--trainer"] if trainer else []), sandbox=with_sandbox)
    lab, auth, port, sandbox_port = (launcher.url, launcher.headers, launcher.port,
                                     launcher.sandbox_port)
    try:
        launcher.start()
        status = requests.get(f"{lab}/api/status", headers=auth, timeout=5)
        assert status.status_code == 200, "JupyterLab n'a pas répondu"
        contents = requests.get(f"{lab}/api/contents", headers=auth, timeout=5).json()
        names = {item["name"] for item in contents["content"]}
        if trainer:
            assert "source" in names, "formateur : racine = le cours (modules/)"
            d4 = requests.get(f"{lab}/api/contents/source/d4_outils_numeriques", headers=auth,
                              timeout=5).json()
            assert {"01_insi_dmp.md", "01_insi_dmp.ipynb"} <= {i["name"] for i in d4["content"]}, \
                "formateur : les notebooks nbgrader sont écrits depuis les sources .md"
        else:
            assert names >= {"d1_donnees_sante", "d4_outils_numeriques"} and "source" not in names
            assert (launcher.workspace / "d1_donnees_sante").is_dir()
        language = requests.get(f"{lab}/lab/api/settings/@jupyterlab/translation-extension:plugin",
                                headers=auth, timeout=5).json()
        assert language["schema"]["properties"]["locale"]["default"] == "fr_FR", language
        french = requests.get(f"{lab}/lab/api/translations/fr_FR", headers=auth, timeout=5).json()
        assert french["data"].get("jupyterlab"), "le pack de langue français doit être installé"
        page = requests.get(f"{lab}/lab", headers=auth, timeout=5).text
        plugins = json.loads(re.search(r'id="jupyter-config-data"[^>]*>(.*?)</script>', page,
                                       re.S).group(1)).get("disabledExtensions", [])
        if trainer:
            assert not set(TRAINER_PLUGINS) & set(plugins), "le formateur garde nbgrader"
        else:
            assert set(TRAINER_PLUGINS) <= set(plugins), f"outils du formateur visibles : {plugins}"
        lab_children = psutil.Process(launcher.pid).children(recursive=True)
        assert lab_children, "JupyterLab doit être un processus enfant du lanceur"
        urls = {_environ(c).get("SANTELAB_URL") for c in lab_children}
        urls.discard(_GONE)
        if with_sandbox:
            assert f"http://127.0.0.1:{sandbox_port}" in urls, urls
            docs = requests.get(f"http://127.0.0.1:{sandbox_port}/docs", timeout=5)
            assert docs.status_code == 200, "les services du bac à sable doivent répondre"
            assert "Peuplement du bac à sable : 200 patients fictifs" in launcher.output, \
                "premier démarrage : une ligne de progression pendant le peuplement"
            # ... and through the lab (all a Binder or JupyterHub browser can reach)
            entries = requests.get(f"{lab}/server-proxy/servers-info", headers=auth,
                                   timeout=5).json()["server_processes"]
            assert sorted(e["launcher_entry"]["title"] for e in entries) == sorted(
                title for _name, title, _page in LAUNCHER_PAGES), entries
            home = requests.get(f"{lab}/santelab-exercices/drill/accueil", headers=auth,
                                timeout=10)
            assert home.status_code == 200 and 'href="equipes/unite_de_soins"' in home.text
            script = requests.get(f"{lab}/santelab-exercices/drill/web/drill.js", headers=auth,
                                  timeout=10)
            assert script.status_code == 200 and "ROOT" in script.text
            proxied = requests.get(f"{lab}/santelab/docs", headers=auth, timeout=10)
            assert proxied.status_code == 200, proxied.text[:300]
            assert "'/santelab/openapi.json'" in proxied.text or \
                '"/santelab/openapi.json"' in proxied.text, "le lien vers l'OpenAPI doit passer par le lab"
            spec = requests.get(f"{lab}/santelab/openapi.json", headers=auth, timeout=10).json()
            assert "/dmp/fhir/DocumentReference" in spec["paths"]
        else:
            assert urls == {None}, urls
        launcher.signal(signal.SIGINT)  # what Ctrl-C sends to the launcher
        returncode = launcher.wait(60)
    finally:
        if launcher.process.poll() is None:  # a failed test: its servers have sessions of their own
            orphans = psutil.Process(launcher.pid).children(recursive=True)
            launcher.kill()
            for child in orphans:
                child.kill()
    output = launcher.output
    assert returncode == 0, output
    assert "Lab arrêté." in output and "Traceback" not in output
    _, alive = psutil.wait_procs(lab_children, timeout=10)
    assert not alive, f"processus restés en vie : {alive}"
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0, "le port de JupyterLab est encore ouvert"
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", sandbox_port)) != 0, "le port des services est ouvert"


_GONE = "(processus terminé)"


@pytest.mark.slow
@pytest.mark.xdist_group("release")
def test_lab_opens_the_browser_once_the_services_answer(tmp_path: Path, released):
    """JupyterLab would open the browser as it starts, before a first start's services have
    seeded: a set-up cell run then could not reach them. The launcher opens it after."""
    opened = tmp_path / "navigateur.txt"
    browser = tmp_path / "navigateur"
    launcher = Lab(tmp_path, released, browser=browser)
    launcher.env["SANTELAB_PATIENTS"] = "2000"  # a first start's seeding outlasts JupyterLab's
    browser.write_text(f"#!{sys.executable}\n"
                       "import socket, sys\n"
                       "with socket.socket() as s:\n"
                       f"    answered = s.connect_ex(('127.0.0.1', {launcher.sandbox_port})) == 0\n"
                       f"open({str(opened)!r}, 'w').write(sys.argv[1] + '\\n' + str(answered))\n")
    browser.chmod(0o755)
    try:
        launcher.start()
        for _ in range(100):
            if opened.exists() and opened.read_text().count("\n") == 1:
                break
            time.sleep(0.1)
        url, answered = opened.read_text().split("\n")
        jupyterlab = next(c.pid for c in psutil.Process(launcher.pid).children(recursive=True)
                          if "jupyter" in " ".join(c.cmdline()))
        page = Path(url.removeprefix("file://")).read_text()
    finally:
        orphans = psutil.Process(launcher.pid).children(recursive=True)
        launcher.kill()
        for child in orphans:
            child.kill()
    assert answered == "True", "le navigateur s'est ouvert avant que les services répondent"
    assert url == f"file://{tmp_path / 'jupyter_runtime_dir' / f'jpserver-{jupyterlab}-open.html'}"
    assert "token=jeton-de-test" in page, "la page ouverte connecte au lab (jeton compris)"


def _environ(process: psutil.Process) -> dict[str, str]:
    """A child's environment; short-lived helpers (already exited, or zombies not yet reaped
    by their parent) are marked gone rather than failing the test."""
    try:
        return process.environ()
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return {"SANTELAB_URL": _GONE}


def test_lab_refuses_a_taken_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "santelab", "lab", "--port", str(port), "--no-sandbox"],
            capture_output=True, text=True, check=False,
        )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"santelab : erreur : le port {port} est déjà pris : choisissez-en un autre avec --port"
    )
