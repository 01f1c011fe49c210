"""A drill engine killed with SIGKILL (a real subprocess) resumes where it was: nothing lost,
nothing repeated, nothing early. And `santelab drill`'s verbs, with their one-line French errors."""

from __future__ import annotations

import sys

import pytest
from fixtures.servers import ServerProcess
from sandbox_helpers import TENANT, events
from sqlalchemy import select

from sandbox.drills.models import DrillRunRow, DrillStepRow
from santelab.cli import main

STEPS = 40
CRASH_SCENARIO = "\n".join([
    "id: crash", "titre: Exercice interrompu", "equipes: {dsi: DSI}", "duree: 45min",
    "injects:",
    "  - {cle: piege, a: 1min, type: mail, modele: faux-support-mssante,"
    " destinataires: ['persona:medecin']}",
    "  - {cle: panne, a: 2min, type: panne, service: dmp}",
    *(f"  - {{cle: m{n:02d}, a: {n}min, type: message, canal: sms, texte: Message {n}}}"
      for n in range(3, STEPS)),
    "attentes: []", ""])


def santelab(*args: str) -> list[str]:
    return [sys.executable, "-m", "santelab.cli", "drill", *args]


def _steps(seeded, run: str) -> list[DrillStepRow]:
    with seeded.store.session() as session:
        return list(session.scalars(select(DrillStepRow).where(
            DrillStepRow.tenant == TENANT, DrillStepRow.run == run)))


def _state(seeded, run: str) -> str | None:
    with seeded.store.session() as session:
        row = session.get(DrillRunRow, (TENANT, run))
        return row.state if row else None


def test_sigkilled_engine_resumes_nothing_lost_nothing_twice(seeded, tmp_path):
    scenario = tmp_path / "crash.yaml"
    scenario.write_text(CRASH_SCENARIO, encoding="utf-8")
    store = ["--db", seeded.settings.db_url, "--tenant", TENANT]
    first = ServerProcess(santelab("run", str(scenario), *store, "--speed", "120",
                                   "--exercice", "crash-1"),
                          ready=lambda: sum(s.state == "envoyé" for s in _steps(seeded, "crash-1"))
                          >= 8)
    with first:
        first.kill()  # SIGKILL in the middle of the chronogram
    sent = sum(s.state == "envoyé" for s in _steps(seeded, "crash-1"))
    assert 8 <= sent < STEPS, first.output
    assert _state(seeded, "crash-1") == "en_cours"
    second = ServerProcess(santelab("engine", *store),
                           ready=lambda: _state(seeded, "crash-1") == "terminé")
    with second:
        pass
    steps = _steps(seeded, "crash-1")
    assert [s.state for s in steps] == ["envoyé"] * (STEPS - 1)
    run = seeded.store.session
    with run() as session:
        played = session.get(DrillRunRow, (TENANT, "crash-1"))
        for step in steps:  # never early: sent at or after its due time on the clock
            assert step.done_at >= step.due_at, step.key
        assert played.paused_s == 0
    fired = [e.target for e in events(seeded, TENANT, service="drill") if e.action == "drill.inject"
             and e.target.startswith("exercice/crash-1/")]
    assert sorted(fired) == sorted(f"exercice/crash-1/{s.key}" for s in steps)  # each once
    mails = [e for e in events(seeded, TENANT, service="mssante")
             if e.action == "mssante.inject" and "crash-1.piege" in (e.target or "")]
    assert len(mails) == 1


def test_cli_verbs_and_french_errors(seeded, tmp_path, capsys):
    assert main(["drill", "list"]) == 0
    assert "hameconnage-mssante" in capsys.readouterr().out
    broken = tmp_path / "casse.yaml"
    broken.write_text("id: casse\ntitre: Cassé\nequipes: {dsi: DSI}\nduree: demain\n"
                      "injects: []\nattentes: []\n", encoding="utf-8")
    assert main(["drill", "validate", str(broken)]) == 2
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and "casse.yaml, ligne 4" in error and "duree" in error
    store = ["--db", seeded.settings.db_url, "--tenant", TENANT]
    assert main(["drill", "run", "hameconnage-mssante", *store, "--exercice", "cli-1",
                 "--sans-moteur", "--niveau", "débutant"]) == 0
    assert main(["drill", "pause", "cli-1", *store]) == 0
    capsys.readouterr()
    assert main(["drill", "pause", "cli-1", *store]) == 2
    assert "en pause" in capsys.readouterr().err
    assert main(["drill", "resume", "cli-1", *store]) == 0
    assert main(["drill", "inject", "cli-1", "mail-piege", *store]) == 0
    assert main(["drill", "status", "cli-1", *store]) == 0
    assert "mail-piege" in capsys.readouterr().out
    assert main(["drill", "end", "cli-1", *store]) == 0
    capsys.readouterr()
    assert main(["drill", "inject", "cli-1", "mail-piege", *store]) == 2
    assert "terminé" in capsys.readouterr().err
    assert main(["drill", "status", "inconnu", *store]) == 2
    assert "Exercice inconnu" in capsys.readouterr().err
    assert main(["drill", "run", "hameconnage-mssante", "--db", seeded.settings.db_url,
                 "--tenant", "personne", "--sans-moteur"]) == 2
    assert "Tenant inconnu" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        main(["drill", "run", "x", "--speed", "vite"])
    assert usage.value.code == 2
    assert "nombre attendu" in capsys.readouterr().err
