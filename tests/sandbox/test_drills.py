"""Drills: scenarios as data, the engine on a manual clock (never a sleep), the facilitator's
and players' endpoints over real HTTP, and each shipped scenario played end to end by a player
who meets every expectation and by one who meets none."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import httpx
import pytest
from drill_world import World
from sandbox_helpers import OTHER_TENANT, TENANT, assert_outcome

from sandbox.drills import scenario as scenarios
from sandbox.errors import ServiceError
from sandbox.services.dpi.schedule import PARIS

MINI = """\
id: mini
titre: Exercice minimal
equipes: {cellule_de_crise: Cellule}
duree: 1h
injects:
  - {cle: alerte, a: 10min, type: message, canal: sms, texte: Alerte, equipes: [cellule_de_crise]}
  - {cle: panne-dmp, a: 20min, type: panne, service: dmp}
  - {cle: relance, si: {attente: cellule, etat: manquée}, a: 1min, type: message, canal: presse,
     texte: Relance}
attentes:
  - {cle: cellule, titre: Cellule déclarée, points: 5, equipe: cellule_de_crise, apres: alerte,
     delai: 10min, evenement: {action: drill.declaration, detail: {type: cellule_de_crise}}}
"""


@pytest.fixture(scope="module")
def world(seeded):
    built = World(seeded)
    yield built
    built.server.stop()


def start_mini(world: World, run: str, speed: float = 60) -> str:
    return world.engine.start(TENANT, scenarios.parse(MINI, "mini.yaml"), level="débutant",
                              speed=speed, seed=1, run_id=run)


def test_pause_delays_an_inject_never_early_never_twice(world):
    run = start_mini(world, "pause-1")  # alerte due 10 s of clock time later (×60)
    world.advance(5)
    world.engine.pause(TENANT, run)
    world.advance(300)  # due during the pause: nothing fires
    assert world.step_state(TENANT, run, "alerte") == "prévu"
    world.engine.resume(TENANT, run)
    world.advance(4.9)
    assert world.step_state(TENANT, run, "alerte") == "prévu"
    world.advance(0.2)
    assert world.step_state(TENANT, run, "alerte") == "envoyé"
    for _ in range(3):
        world.advance(0.5)
    assert world.fired(TENANT, run, "alerte") == 1
    status = world.engine.status(TENANT, run)
    alerte = next(s for s in status["etapes"] if s["cle"] == "alerte")
    assert alerte["fait_s"] >= alerte["prevu_s"]
    world.engine.end(TENANT, run)


def test_missed_expectation_escalates_and_met_one_does_not(world):
    missed = start_mini(world, "manque-1")
    met = start_mini(world, "atteint-1")
    world.advance(10)  # alerte in both
    world.connect("medecin").drill.declare("cellule_de_crise")
    world.advance(0.1)
    assert world.step_state(TENANT, met, "cellule") == "atteinte"
    # a declaration counts for every drill of the tenant whose window is open: both met
    assert world.step_state(TENANT, missed, "cellule") == "atteinte"
    lonely = start_mini(world, "manque-2")
    world.advance(21 * 60 / 60)  # past alerte (10 min) + deadline (10 min) + relance (1 min)
    assert world.step_state(TENANT, lonely, "cellule") == "manquée"
    world.advance(1.1)
    assert world.step_state(TENANT, lonely, "relance") == "envoyé"
    assert all(s["cle"] != "relance" for s in world.engine.status(TENANT, met)["etapes"])
    for run in (missed, met, lonely):
        world.engine.end(TENANT, run)


def test_inject_now_postpone_and_refused_controls(world):
    run = start_mini(world, "controle-1")
    world.engine.inject_now(TENANT, run, "panne-dmp")
    world.advance(0.01)
    assert world.step_state(TENANT, run, "panne-dmp") == "envoyé"
    assert world.connect("facilitateur").admin.faults()[0]["service"] == "dmp"
    world.engine.postpone(TENANT, run, "alerte", 600)
    world.advance(11)
    assert world.step_state(TENANT, run, "alerte") == "prévu"
    world.advance(10)
    assert world.step_state(TENANT, run, "alerte") == "envoyé"
    world.engine.pause(TENANT, run)
    with pytest.raises(ServiceError) as twice:
        world.engine.pause(TENANT, run)
    assert (twice.value.status, "en pause" in twice.value.diagnostics) == (409, True)
    world.engine.end(TENANT, run)
    before = world.engine.status(TENANT, run)
    with pytest.raises(ServiceError) as ended:
        world.engine.inject_now(TENANT, run, "alerte")
    assert ended.value.status == 409
    assert world.engine.status(TENANT, run) == before
    with pytest.raises(ServiceError) as unknown:
        world.engine.status(OTHER_TENANT, run)  # one tenant's drill is not another's
    assert unknown.value.status == 404
    with pytest.raises(ServiceError) as no_tenant:
        start_mini_in(world, "tenant-inexistant")
    assert no_tenant.value.status == 404
    world.connect("facilitateur").admin.clear("dmp")


# MINI with an expectation no event shows: an observer validates it.
OBSERVED = MINI + """\
  - {cle: papier, titre: Papier tenu, points: 4, equipe: cellule_de_crise, delai: 1h}
"""


def test_a_command_repeated_does_nothing_more_or_says_how_to_replay(world):
    """A notebook cell run twice sends its command twice: the same start, verdict or end is
    not done again; what cannot be redone is refused with how to replay from the start."""
    observed = scenarios.parse(OBSERVED, "observe.yaml")

    def start(level: str = "débutant") -> str:
        return world.engine.start(TENANT, observed, level=level, speed=60, seed=1,
                                  run_id="deux-fois")

    def refusal(command, *args) -> str:
        with pytest.raises(ServiceError) as refused:
            command(TENANT, "deux-fois", *args)
        assert refused.value.status == 409
        return refused.value.diagnostics

    assert (start(), start()) == ("deux-fois", "deux-fois")
    with pytest.raises(ServiceError) as other:
        start("confirmé")
    assert "d'autres réglages" in other.value.diagnostics
    world.engine.inject_now(TENANT, "deux-fois", "panne-dmp")
    world.advance(0.01)
    assert "redémarrez le noyau" in refusal(world.engine.inject_now, "panne-dmp")
    for _ in range(2):
        world.engine.validate(TENANT, "deux-fois", "papier", 2, "F-03 incomplet")
    assert "n'est plus à valider" in refusal(world.engine.validate, "papier", 4, "complet")
    for _ in range(2):
        world.engine.end(TENANT, "deux-fois")
    actions = [e["action"] for e in world.connect("facilitateur").drill.timeline("deux-fois")]
    assert [actions.count(a) for a in ("drill.start", "drill.attente.validée", "drill.end")] \
        == [1, 1, 1]
    assert "redémarrez le noyau" in refusal(world.engine.inject_now, "alerte")
    with pytest.raises(ServiceError) as ended:
        start()
    assert "terminé" in ended.value.diagnostics
    world.connect("facilitateur").admin.clear("dmp")


def start_mini_in(world: World, tenant: str) -> str:
    return world.engine.start(tenant, scenarios.parse(MINI, "mini.yaml"), level="débutant")


def test_http_endpoints_facilitator_only(world):
    url = world.server.url
    player = httpx.Client(base_url=url, headers={
        "Authorization": f"Bearer {world.connect('infirmier').token}"})
    text = assert_outcome(player.post("/drill/runs", json={"scenario": "hameconnage-mssante"}), 403)
    assert "animateur" in text
    forged = httpx.post(f"{url}/drill/runs", json={"scenario": "hameconnage-mssante"},
                        headers={"Authorization": "Bearer abc.def"})
    assert_outcome(forged, 401)
    facilitator = world.connect("facilitateur").drill
    assert {s["id"] for s in facilitator.scenarios()} >= set(scenarios.shipped())
    boss = httpx.Client(base_url=url, headers={
        "Authorization": f"Bearer {world.connect('facilitateur').token}"})
    broken = MINI.replace("points: 5", "points: beaucoup")
    text = assert_outcome(boss.post("/drill/runs", json={"texte": broken}), 422)
    assert "ligne 11" in text and "attentes.0.points" in text
    assert_outcome(boss.get("/drill/runs/inconnu"), 404)
    started = facilitator.start(text=MINI, level="débutant", speed=60, run="http-1")
    assert started["etat"] == "en_cours"
    assert facilitator.pause("http-1")["etat"] == "en_pause"
    assert_outcome(boss.post("/drill/runs/http-1/pause"), 409)
    assert facilitator.resume("http-1")["etat"] == "en_cours"
    facilitator.inject("http-1", "alerte")
    world.advance(0.01)
    assert world.connect("infirmier").drill.messages("cellule_de_crise")[-1]["texte"] == "Alerte"
    assert facilitator.end("http-1")["etat"] == "terminé"
    assert_outcome(boss.post("/drill/runs/http-1/injects/panne-dmp"), 409)
    actions = [e["action"] for e in facilitator.timeline("http-1")]
    assert actions == ["drill.start", "drill.pause", "drill.resume", "drill.inject.maintenant",
                       "drill.inject", "drill.end"]


def test_a_seed_fixes_the_timeline(world):
    shipped = scenarios.shipped()["hameconnage-mssante"]
    plans = []
    for run, seed in (("graine-a", 7), ("graine-b", 7), ("graine-c", 8)):
        world.engine.start(TENANT, shipped, level="confirmé", speed=60, seed=seed, run_id=run)
        plans.append([(s["cle"], s["prevu_s"]) for s in world.engine.status(TENANT, run)["etapes"]])
        world.engine.end(TENANT, run)
    assert plans[0] == plans[1] != plans[2]


# --- shipped scenarios, played end to end ------------------------------------------------------

def _phishing(world: World, run: str, key: str | None) -> None:
    if key == "mail-piege":
        medecin = world.connect("medecin")
        trap = medecin.mssante.inbox()[-1]
        assert "désactivée" in trap.subject
        medecin.mssante.report(trap.id)
        medecin.drill.report_incident("hameconnage", "Faux message du support MSSanté reçu.")


def _identity(world: World, run: str, key: str | None) -> None:
    nurse = world.connect("infirmier") if key else None
    if key == "insi-indisponible":
        nurse.drill.declare("mode_degrade", "Identités provisoires jusqu'au retour de l'INSi.")
        nurse.drill.report_incident("erreur_identification", "Deux homonymes admis sans INSi.")
    if key == "insi-retabli":
        nurse.insi.verify("279035121518989", nom="MARTIN", prenoms="JEAN", sexe="M",
                          date_naissance="1980-01-01")


def _ransomware(world: World, run: str, key: str | None) -> None:
    nurse = world.connect("infirmier")
    if key is None:  # the start of the night shift: the unit refreshes its capsule
        world.capsules[run] = nurse.dpi.capsule(nurse.dpi.units()[0].code, "csv").decode()
    if key == "dpi-chiffre":
        world.connect("medecin").drill.declare("cellule_de_crise")
        world.connect("medecin").drill.report_incident("rancongiciel", "DPI chiffré cette nuit.")
    if key == "dpi-retabli":
        form, lines = _paper_form(nurse, world.capsules[run])
        assert not nurse.dpi.reentry(form, lines).doublons


def _paper_form(nurse, capsule: str) -> tuple[str, list[dict]]:
    """The first patient sheet of the capsule none of whose doses is in the DPI yet, filled in
    on paper during the outage: every dose printed on it given at its time."""
    sheets: dict[str, list[dict]] = {}
    for row in csv.DictReader(io.StringIO(capsule), delimiter=";"):
        due = datetime.strptime(row["prise_prevue"], "%d/%m/%Y %H:%M").replace(tzinfo=PARIS)
        sheets.setdefault(row["formulaire"], []).append({
            "prescription": row["prescription"], "patient": row["ins"], "sejour": row["sejour"],
            "medicament": row["medicament"], "dose": row["dose"], "heure": due,
            "infirmier": "IDE de nuit"})
    for form, lines in sheets.items():
        recorded = {(a.prescription, a.prise_prevue) for stay in {line["sejour"] for line in lines}
                    for a in nurse.dpi.administrations(stay)}
        if not {(line["prescription"], line["heure"]) for line in lines} & recorded:
            return form, [{k: v for k, v in line.items() if k != "sejour"} for line in lines]
    raise AssertionError("every sheet of the capsule is already in the DPI")


PLAYERS = {"hameconnage-mssante": _phishing, "confusion-identite-insi": _identity,
           "rancongiciel-dpi-nuit": _ransomware}
ESCALATIONS = {"hameconnage-mssante": ["compte-compromis", "messagerie-suspendue"],
               "confusion-identite-insi": ["erreur-dispensation"],
               "rancongiciel-dpi-nuit": ["journaliste"]}
PLAYS = [(name, level) for name, scenario in sorted(scenarios.shipped().items())
         for level in scenario.niveaux]


def play(world: World, name: str, level: str, run: str, react) -> dict:
    """Play a shipped scenario minute by minute (×60: a clock second each); `react(world, run,
    key)` is called once at the start (key None) and once after each inject is sent."""
    world.engine.start(TENANT, scenarios.shipped()[name], level=level, speed=60, seed=3,
                       run_id=run)
    reacted: set[str] = set()
    if react:
        react(world, run, None)
    while world.engine.status(TENANT, run)["etat"] != "terminé":
        world.advance(1)
        for step in world.engine.status(TENANT, run)["etapes"]:
            if step["type"] == "inject" and step["etat"] == "envoyé" and step["cle"] not in reacted:
                reacted.add(step["cle"])
                if react:
                    react(world, run, step["cle"])
    return world.engine.status(TENANT, run)


@pytest.mark.parametrize(("name", "level"), PLAYS)
def test_full_score(world, name, level):
    run = f"plein-{name[:12]}-{level[:3]}"
    react = PLAYERS[name]

    def player_and_observer(world, run, key):
        react(world, run, key)
        for step in world.engine.status(TENANT, run)["etapes"]:
            if step["type"] == "attente" and step["etat"] == "attendue":
                spec = next(e for e in scenarios.shipped()[name].attentes if e.cle == step["cle"])
                if spec.evenement is None:
                    world.connect("facilitateur").drill.validate(run, spec.cle, spec.points, "Fait.")

    status = play(world, name, level, run, player_and_observer)
    assert status["score"] == status["score_max"] > 0, status
    assert not set(ESCALATIONS[name]) & {s["cle"] for s in status["etapes"]}
    clear_faults(world)


def clear_faults(world: World) -> None:
    facilitator = world.connect("facilitateur")
    for fault in facilitator.admin.faults():
        facilitator.admin.clear(fault["service"])


@pytest.mark.parametrize(("name", "level"), PLAYS)
def test_zero_score_fires_escalations(world, name, level):
    run = f"zero-{name[:12]}-{level[:3]}"
    status = play(world, name, level, run, None)
    assert status["score"] == 0
    states = {s["cle"]: s["etat"] for s in status["etapes"]}
    assert all(states[key] == "envoyé" for key in ESCALATIONS[name]), states
    assert all(state in ("manquée", "attendue", "envoyé") for state in states.values()), states
    clear_faults(world)
