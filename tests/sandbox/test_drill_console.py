"""The facilitator's console and the players' view: their JSON over real HTTP, then both pages in
Debian Chromium (Playwright) following a drill live, without reload; screenshots are kept.

One backend (SQLite): the pages read the same endpoints on both, which test_drills.py covers.
"""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
from drill_world import World
from playwright.sync_api import expect
from sandbox_helpers import TENANT, assert_outcome

from sandbox.drills import scenario as scenarios

WAIT_MS = 20_000  # how long the page may take to show a change (it polls every 500 ms)
SCENARIO = """\
id: console
titre: Exercice de la console
equipes: {cellule_de_crise: Cellule, communication: Communication}
duree: 1h
injects:
  - {cle: alerte, a: 10min, type: message, canal: sms, de: Astreinte, texte: Serveur chiffré,
     equipes: [cellule_de_crise]}
  - {cle: panne-dmp, a: 20min, type: panne, service: dmp}
attentes:
  - {cle: cellule, titre: Cellule déclarée, points: 5, equipe: cellule_de_crise, apres: alerte,
     delai: 10min, evenement: {action: drill.declaration, detail: {type: cellule_de_crise}}}
  - {cle: communique, titre: Communiqué interne, points: 3, equipe: communication, delai: 30min}
"""


@pytest.fixture(scope="module")
def backend() -> str:
    return "sqlite"


@pytest.fixture(scope="module")
def world(seeded):
    built = World(seeded)
    yield built
    built.server.stop()


@pytest.fixture(scope="module")
def captures(tmp_path_factory) -> Path:
    """Where the screenshots go: $SANTELAB_TEST_ARTEFACTS, or pytest's temporary folder."""
    root = os.environ.get("SANTELAB_TEST_ARTEFACTS")
    folder = Path(root) if root else tmp_path_factory.mktemp("captures")
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nCaptures d'écran de la console : {folder}")
    return folder


def shows(locator, text: str) -> None:
    """The page shows `text` there, soon (it polls every 500 ms; a loaded machine is slow)."""
    expect(locator).to_contain_text(text, timeout=WAIT_MS)


def start(world: World, run: str) -> str:
    return world.engine.start(TENANT, scenarios.parse(SCENARIO, "console.yaml"),
                              level="débutant", speed=60, seed=1, run_id=run)


def test_console_json_crisis_log_and_debrief(world):
    run = start(world, "json-1")
    facilitator = world.connect("facilitateur").drill
    facilitator.log(run, "Observatrice A", "La cellule se réunit en salle 12.")
    world.advance(10)  # alerte sent
    board = facilitator.console(run)
    injects = {i["cle"]: i for i in board["injects"]}
    assert injects["alerte"]["etat"] == "envoyé" and "Serveur chiffré" in injects["alerte"]["resume"]
    assert injects["panne-dmp"]["etat"] == "prévu"
    expectations = {a["cle"]: a for a in board["attentes"]}
    assert expectations["communique"]["observateur"] and not expectations["cellule"]["observateur"]
    assert [e["libelle"] for e in board["chronologie"]] == ["Début de l'exercice", "Inject envoyé"]
    assert [(e["auteur"], e["qualite"]) for e in board["main_courante"]] == [
        ("Observatrice A", "observateur")]
    facilitator.end(run)
    facilitator.debrief(run, "actions", "Imprimer la capsule à chaque prise de garde.",
                        author="Direction")
    assert [a["question"] for a in facilitator.debrief_answers(run)] == ["actions"]

    url = world.server.url
    player = {"Authorization": f"Bearer {world.connect('infirmier').token}"}
    assert "animateur" in assert_outcome(httpx.get(f"{url}/drill/runs/{run}/console",
                                                   headers=player), 403)
    forged = {"Authorization": "Bearer abc.def"}
    assert_outcome(httpx.get(f"{url}/drill/runs/{run}/console", headers=forged), 401)
    boss = {"Authorization": f"Bearer {world.connect('facilitateur').token}"}
    assert_outcome(httpx.get(f"{url}/drill/runs/inconnu/console", headers=boss), 404)
    assert_outcome(httpx.post(f"{url}/drill/runs/{run}/main-courante", headers=boss,
                              json={"auteur": "", "texte": "x"}), 400)
    assert_outcome(httpx.post(f"{url}/drill/runs/{run}/debriefing", headers=boss,
                              json={"question": "meteo", "reponse": "x"}), 400)
    assert_outcome(httpx.get(f"{url}/drill/equipes/pompiers"), 404)
    assert len(facilitator.console(run)["main_courante"]) == 1  # nothing written by the refusals


@pytest.mark.browser
def test_console_and_player_view_follow_the_drill_live(world, browser, captures):
    run = start(world, "navigateur-1")
    url = world.server.url
    home = browser.new_page()  # where the lab's launcher lands: the teams, and the runs
    home.goto(f"{url}/drill/accueil#jeton={world.connect('facilitateur').token}")
    expect(home.locator("#equipes a")).to_have_count(4)
    link = home.locator("#exercices a", has_text=run)
    expect(link).to_have_count(1)
    home.screenshot(path=captures / "accueil.png", full_page=True)
    link.click()
    shows(home.locator("#etat"), "en cours")  # the run's console, reached by its link
    console = browser.new_page()
    console.goto(f"{url}/drill/console/{run}#jeton={world.connect('facilitateur').token}")
    shows(console.locator("#etat"), "en cours")
    alerte = console.locator('#injects tr[data-cle="alerte"]')
    shows(alerte, "prévu")

    with console.expect_response(lambda r: "/injects/alerte" in r.url):
        alerte.locator("button.injecter").click()
    world.advance(0.01)  # the engine's tick sends it: the page shows it without reload
    shows(alerte, "envoyé")
    shows(console.locator("#chronologie"), "Inject envoyé")

    player = browser.new_page()
    player.goto(f"{url}/drill/equipes/cellule_de_crise#jeton={world.connect('infirmier').token}")
    shows(player.locator("#messages"), "Serveur chiffré")
    expect(player.locator("#messages li")).to_have_count(1)  # not those of ended drills
    player.locator('button[data-type="cellule_de_crise"]').click()
    shows(player.locator("#confirmation"), "Déclaration enregistrée")
    player.screenshot(path=captures / "vue-joueur.png", full_page=True)
    world.advance(0.1)
    shows(console.locator('#attentes tr[data-cle="cellule"]'), "atteinte")

    console.fill("#main-courante-form input[name=auteur]", "Observatrice A")
    console.fill("#main-courante-form input[name=texte]", "La cellule se réunit en salle 12.")
    console.click("#main-courante-form button")
    shows(console.locator("#main-courante"), "Observatrice A (observateur)")

    communique = console.locator('#attentes tr[data-cle="communique"]')
    communique.locator("input.score").fill("2")
    communique.locator("input.commentaire").fill("Communiqué tardif mais clair.")
    communique.locator("button.valider").click()
    shows(communique, "2 — Communiqué tardif mais clair.")

    console.click("#pause")
    shows(console.locator("#etat"), "en pause")
    console.click("#reprise")
    shows(console.locator("#etat"), "en cours")
    console.screenshot(path=captures / "console.png", full_page=True)
    console.click("#fin")
    shows(console.locator("#etat"), "terminé")
    assert world.engine.status(TENANT, run)["score"] == 7

    intruder = browser.new_page()  # a player's token on the console: refused in French
    intruder.goto(f"{url}/drill/console/{run}#jeton={world.connect('infirmier').token}")
    shows(intruder.locator("#erreur"), "réservée à l'animateur")
    intruder.screenshot(path=captures / "console-refusee.png")
    for page in (home, console, player, intruder):
        page.close()
