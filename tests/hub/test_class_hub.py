"""A class on a real JupyterHub (deploy/jupyterhub/): a trainer and two students go through
nbgrader's exchange, each student's notebook works against their own tenant of the ONE
sandbox the hub runs on PostgreSQL, and no student reaches another's tenant."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import nbformat
import pytest
from fixtures.class_hub import ANSWER, CHECK, CONFIG, SETUP, ClassHub
from fixtures.jupyter_kernels import Kernel
from fixtures.jupyterlab_page import keep_screenshot, run_set_up_cell

from sandbox.auth import tenant_password

# One hub for the module's tests: kept on one xdist worker.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900), pytest.mark.xdist_group("class_hub")]

TRAINER, STUDENTS = "prof", ["alice", "bob"]


def nbgrader_cell(source: str, cell_id: str, **flags) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade_id": cell_id, "schema_version": 3,
                                 "grade": False, "solution": False, "locked": False, **flags}
    return cell


def assignment() -> dict:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [
        nbgrader_cell(SETUP, "setup", locked=True),
        nbgrader_cell("### BEGIN SOLUTION\n" + ANSWER + "\n### END SOLUTION", "answer",
                      solution=True),
        nbgrader_cell(CHECK, "check", grade=True, locked=True, points=1),
    ]
    return json.loads(nbformat.writes(nb))


def shell(command: str) -> str:
    """Kernel code running an nbgrader command in the server's folder, failing loudly."""
    return (f"import subprocess\nr = subprocess.run({command!r}, shell=True, text=True, "
            "capture_output=True)\nprint(r.stdout, r.stderr)\nassert r.returncode == 0")


@pytest.fixture(scope="module")
def hub(postgres_server):
    hub = ClassHub(postgres_server.database(), STUDENTS, [TRAINER], SANTELAB_PATIENTS="40")
    try:
        yield hub.start()
    finally:
        hub.stop()


def put(server: str, token: str, path: str, model: dict) -> None:
    answer = httpx.put(f"{server}/api/contents/{path}", json=model, timeout=60,
                       headers={"Authorization": f"token {token}"})
    assert answer.status_code in (200, 201), answer.text


def put_notebook(server: str, token: str, path: str, content: dict) -> None:
    put(server, token, path, {"type": "notebook", "format": "json", "content": content})


def get_notebook(server: str, token: str, path: str) -> dict:
    answer = httpx.get(f"{server}/api/contents/{path}",
                       headers={"Authorization": f"token {token}"}, timeout=60)
    assert answer.status_code == 200, answer.text
    return answer.json()["content"]


@pytest.mark.browser
def test_release_fetch_submit_collect_autograde_one_tenant_each(hub, page, record_property):
    trainer = hub.spawn(TRAINER)
    put(trainer, hub.token, "course/source/tp1", {"type": "directory"})
    put_notebook(trainer, hub.token, "course/source/tp1/tp1.ipynb", assignment())
    with Kernel(trainer, hub.token) as kernel:
        kernel.run("import os; os.chdir(os.path.expanduser('~/course'))")
        kernel.run(shell("nbgrader generate_assignment tp1 --force"))
        kernel.run(shell("nbgrader release_assignment tp1"))

    for student in STUDENTS:
        server = hub.spawn(student)
        with Kernel(server, hub.token) as kernel:
            kernel.run(shell("nbgrader fetch_assignment tp1"))
            released = get_notebook(server, hub.token, "tp1/tp1.ipynb")
            sources = ["".join(c["source"]) for c in released["cells"]]
            assert "BEGIN SOLUTION" not in "".join(sources)
            assert "raise NotImplementedError" in sources[1]
            released["cells"][1]["source"] = ANSWER  # the student's answer
            put_notebook(server, hub.token, "tp1/tp1.ipynb", released)
            assert f"bac à sable {student}" in kernel.run(sources[0])  # the set-up cell
            assert kernel.run(  # the class's secrets stay with the trainers
                "import os; print(sorted(os.environ.keys() & {'SANTELAB_CLASS_KEY', "
                "'SANTELAB_FACILITATOR_PASSWORD'}))").strip() == "[]"
            kernel.run(ANSWER)
            kernel.run(sources[2])
            kernel.run(shell("nbgrader submit tp1"))

    # Alice logs in to the hub in her browser and runs the set-up cell of her fetched copy.
    page.goto(f"{hub.url}/hub/login")
    page.fill("#username_input", "alice")
    page.fill("#password_input", "un mot de passe")
    page.click("#login_submit")
    run_set_up_cell(page, f"{hub.url}/user/alice/lab/tree/tp1/tp1.ipynb", "bac à sable alice")
    keep_screenshot(page, "hub-etudiante", record_property)

    with Kernel(trainer, hub.token) as kernel:
        kernel.run("import os; os.chdir(os.path.expanduser('~/course'))")
        kernel.run(shell("nbgrader collect tp1"))
        kernel.run(shell("nbgrader autograde tp1"))
        scores = kernel.run(
            "from nbgrader.api import Gradebook\n"
            "with Gradebook('sqlite:///gradebook.db') as gb:\n"
            "    for s in gb.students:\n"
            "        print(s.id, gb.find_submission('tp1', s.id).score)")
        assert sorted(scores.split("\n")[:2]) == ["alice 1.0", "bob 1.0"], scores
        # The trainer sees the class: every student's tenant opens with the class key.
        seen = kernel.run(
            "import os\nfrom sandbox.auth import tenant_password\n"
            "from sandbox.client import connect\n"
            "for s in ('alice', 'bob'):\n"
            "    m = connect('medecin', tenant=s, password=tenant_password("
            "os.environ['SANTELAB_CLASS_KEY'], s))\n"
            "    ins = connect('patient', tenant=s, password=tenant_password("
            "os.environ['SANTELAB_CLASS_KEY'], s)).dmp.consent().ins\n"
            "    print(s, sorted(d.title for d in m.dmp.search(patient=ins) "
            "if d.title in ('Compte rendu de alice', 'Compte rendu de bob')))")
        assert "alice ['Compte rendu de alice']" in seen, seen
        assert "bob ['Compte rendu de bob']" in seen, seen


def login(hub, tenant: str, password: str) -> httpx.Response:
    return httpx.post(f"{hub.sandbox_url}/auth/token", timeout=60, json={
        "tenant": tenant, "login": "medecin", "password": password})


def test_a_student_cannot_reach_another_tenant(hub):
    key = hub.class_key
    alice = login(hub, "alice", tenant_password(key, "alice"))
    assert alice.status_code == 200, alice.text
    token = alice.json()["access_token"]
    # Her token on Bob's tenant: a French 403 OperationOutcome.
    other = httpx.get(f"{hub.sandbox_url}/auth/me", timeout=30, headers={
        "Authorization": f"Bearer {token}", "X-Santelab-Tenant": "bob"})
    assert other.status_code == 403
    outcome = other.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert "bac à sable « alice »" in outcome["issue"][0]["diagnostics"]
    # Her password on Bob's tenant, or the public default one: refused, nothing seeded.
    assert login(hub, "bob", tenant_password(key, "alice")).status_code == 401
    assert login(hub, "mallory", "bac-a-sable").status_code == 401
    # Her own tenant still answers.
    mine = httpx.get(f"{hub.sandbox_url}/auth/me", timeout=30, headers={
        "Authorization": f"Bearer {token}", "X-Santelab-Tenant": "alice"})
    assert mine.json()["tenant"] == "alice"


def test_a_hub_without_postgresql_says_so_in_one_french_line(tmp_path):
    result = subprocess.run(
        [str(Path(sys.executable).parent / "jupyterhub"), "-f", str(CONFIG)], cwd=tmp_path, env={"PATH": "/usr/bin:/bin", "SANTELAB_HUB_DIR": str(tmp_path)},
        capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "a besoin d'une base PostgreSQL" in result.stderr + result.stdout
    assert not (tmp_path / "jupyterhub.sqlite").exists()
