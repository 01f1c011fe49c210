"""The RETEX of a played drill: milestones and time-to-report from the run's real events, scores
per expectation, team and role, observers' notes, crisis log and hot debrief; served over HTTP
(HTML, PDF printed by Chromium, CSV) and written by `santelab drill report`."""

from __future__ import annotations

import csv
import io

import httpx
import pytest
from drill_world import World
from sandbox_helpers import TENANT, assert_outcome

from sandbox.client import NotFound
from sandbox.drills import retex
from sandbox.drills import scenario as scenarios
from santelab.cli import main

RUN = "retex-1"


@pytest.fixture(scope="module")
def backend() -> str:
    return "sqlite"  # the RETEX reads the store through the engine and the stream: one backend


@pytest.fixture(scope="module")
def world(seeded):
    built = World(seeded)
    yield built
    built.server.stop()


@pytest.fixture(scope="module")
def played(world) -> World:
    """The phishing drill (×60: a clock second is a scenario minute): the mail reported two
    minutes after it landed, the incident declared, an observer's note and validation."""
    world.engine.start(TENANT, scenarios.shipped()["hameconnage-mssante"], level="intermédiaire",
                       speed=60, seed=3, run_id=RUN)
    world.advance(5)  # the trap mail: due at 2 min + up to 3 min of seeded jitter
    assert world.step_state(TENANT, RUN, "mail-piege") == "envoyé"
    medecin = world.connect("medecin")
    trap = medecin.mssante.inbox()[-1]
    world.clock.advance(seconds=2)
    medecin.mssante.report(trap.id)
    medecin.drill.report_incident("hameconnage", "Faux message du support MSSanté reçu.")
    world.advance(0.1)
    facilitator = world.connect("facilitateur").drill
    facilitator.log(RUN, "Observateur B", "Le médecin signale le message en deux minutes.")
    facilitator.log(RUN, "Animatrice", "Fin du temps fort.", quality="animateur")
    facilitator.validate(RUN, "prevention", 3, "Alerte diffusée, mais tard.")
    facilitator.end(RUN)
    facilitator.debrief(RUN, "reussites", "Signalement rapide par l'unité.", author="Cadre")
    return world


def test_retex_figures(played):
    report = retex.build(played.engine, TENANT, RUN)
    milestones = dict(report.milestones)
    assert set(milestones) == {"Détection", "Confinement"}
    assert 2.0 <= milestones["Détection"] <= 2.2 and 2.0 <= milestones["Confinement"] <= 2.2
    assert report.phishing == [("mail-piege", pytest.approx(2.0))]
    assert report.by("equipe") == [("communication", 3, 5), ("dsi", 10, 10),
                                   ("unite_de_soins", 20, 20)]
    assert report.by("role") == [("medecin", 30, 30), ("validée par un observateur", 3, 5)]
    html = retex.to_html(report)
    for text in ("<svg", "Détection", "Score par rôle", "Alerte diffusée, mais tard.",
                 "Le médecin signale le message en deux minutes.",
                 "Signalement rapide par l&#x27;unité.", "33 / 35"):
        assert text in html, text
    rows = list(csv.DictReader(io.StringIO(retex.log_csv(report)), delimiter=";"))
    assert [(r["auteur"], r["qualite"]) for r in rows] == [("Observateur B", "observateur"),
                                                          ("Animatrice", "animateur")]


def test_retex_over_http_facilitator_only(played):
    url = played.server.url
    boss = {"Authorization": f"Bearer {played.connect('facilitateur').token}"}
    page = httpx.get(f"{url}/drill/runs/{RUN}/retex", headers=boss)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    printed = httpx.get(f"{url}/drill/runs/{RUN}/retex", params={"format": "pdf"}, headers=boss,
                        timeout=90)
    assert printed.status_code == 200 and printed.content.startswith(b"%PDF")
    log = httpx.get(f"{url}/drill/runs/{RUN}/retex", params={"format": "csv"}, headers=boss)
    assert log.text.startswith("heure;auteur;qualite;persona;texte\n")
    player = {"Authorization": f"Bearer {played.connect('infirmier').token}"}
    assert_outcome(httpx.get(f"{url}/drill/runs/{RUN}/retex", headers=player), 403)
    assert_outcome(httpx.get(f"{url}/drill/runs/inconnu/retex", headers=boss), 404)


def test_retex_through_the_client(played):
    """`s.drill.retex(run)`: the report a notebook shows inline, and the crisis log as CSV."""
    drill = played.connect("facilitateur").drill
    page = drill.retex(RUN).decode()
    assert "<svg" in page and "Le médecin signale le message en deux minutes." in page
    assert drill.retex(RUN, format="csv").decode().startswith("heure;auteur;qualite;persona;texte\n")
    with pytest.raises(NotFound):
        drill.retex("inconnu")


def test_cli_report_and_debrief(played, tmp_path, capsys):
    store = ["--db", played.sandbox.settings.db_url, "--tenant", TENANT]
    assert main(["drill", "debrief", RUN, "actions", "Former les secrétariats au signalement.",
                 *store]) == 0
    assert main(["drill", "debrief", RUN, "actions", "", *store]) == 2
    assert main(["drill", "report", RUN, *store, "--dossier", str(tmp_path), "--sans-pdf"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"main-courante-{RUN}.csv", f"retex-{RUN}.html"]
    assert "Former les secrétariats au signalement." in (tmp_path / f"retex-{RUN}.html").read_text()
    capsys.readouterr()
    assert main(["drill", "report", "inconnu", *store, "--sans-pdf"]) == 2
    assert "Exercice inconnu" in capsys.readouterr().err
