"""Drill engine benchmark: 100 drills at once, each in its own tenant, at --speed 60, played by
ONE engine process (`santelab drill engine`, the real command) on SQLite, then on PostgreSQL.

Printed: p50 / p99 / max lateness of injects (the clock time each was sent minus its due time),
how many were early (must be 0) and sent twice (must be 0), the engine's CPU time and peak
memory (from /proc). Each drill plays 30 injects one scenario minute apart (messages, with a
fault set and cleared), so 100 drills send ~100 injects per second of clock time; drills start
staggered over the first 2 s. The tenants hold only a facilitator persona (inserted directly:
the benchmark measures the engine, not seeding).

    .venv/bin/python benchmarks/drills.py                     # sqlite and postgresql (~3 min)
    .venv/bin/python benchmarks/drills.py --backends sqlite --drills 20
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the test suite's server helpers: tests.fixtures
from tests.fixtures.postgres import PostgresServer  # noqa: E402
from tests.fixtures.servers import ServerProcess  # noqa: E402

INJECTS = 30
SCENARIO = "\n".join([
    "id: banc", "titre: Banc d'essai", "equipes: {dsi: DSI}", f"duree: {INJECTS + 1}min",
    "injects:",
    "  - {cle: panne, a: 1min, type: panne, service: dmp}",
    "  - {cle: retour, a: 2min, type: retablissement, service: dmp}",
    *(f"  - {{cle: m{n:02d}, a: {n}min, type: message, canal: sms, texte: Message {n}}}"
      for n in range(3, INJECTS + 1)),
    "attentes: []", ""])


def _proc(pid: int) -> tuple[float, int]:
    """CPU seconds (user + system) and peak resident memory (KiB) of a process."""
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    peak = next(int(line.split()[1]) for line in Path(f"/proc/{pid}/status").read_text()
                .splitlines() if line.startswith("VmHWM:"))
    return cpu, peak


def run(url: str, drills: int, speed: float) -> dict:
    from sqlalchemy import func, select

    from sandbox.auth import hash_password
    from sandbox.auth_models import PersonaRow
    from sandbox.drills.engine import Engine
    from sandbox.drills.models import DrillRunRow, DrillStepRow
    from sandbox.drills.scenario import parse
    from sandbox.events_models import EventRow
    from sandbox.runtime import Sandbox
    from sandbox.settings import Settings

    sandbox = Sandbox.open(Settings(db=url))
    tenants = [f"banc-{n:03d}" for n in range(drills)]
    with sandbox.store.session() as session:
        secret = hash_password("banc")
        session.add_all(PersonaRow(tenant=t, login="facilitateur", role="facilitateur",
                                   display_name="Animateur", password_hash=secret)
                        for t in tenants)
    engine_process = ServerProcess(
        [sys.executable, "-m", "santelab.cli", "drill", "engine", "--db", url],
        ready_line="Moteur d'exercices démarré", cwd=ROOT).start()
    try:
        scenario = parse(SCENARIO, "banc.yaml")
        starter = Engine(sandbox)
        for tenant in tenants:
            starter.start(tenant, scenario, level="intermédiaire", speed=speed, seed=1,
                          run_id="banc")
            time.sleep(2 / drills)
        deadline = time.monotonic() + (INJECTS + 1) * 60 / speed + 60
        while time.monotonic() < deadline:
            with sandbox.store.session() as session:
                left = session.scalar(select(func.count()).select_from(DrillRunRow).where(
                    DrillRunRow.state != "terminé"))
            if not left:
                break
            time.sleep(0.5)
        cpu, peak = _proc(engine_process.pid)
    finally:
        engine_process.stop()
    with sandbox.store.session() as session:
        steps = session.scalars(select(DrillStepRow)).all()
        fired = Counter(session.execute(select(EventRow.tenant, EventRow.target).where(
            EventRow.action == "drill.inject")).all())
    sandbox.store.dispose()
    late = sorted((s.done_at - s.due_at).total_seconds() * 1000 for s in steps if s.done_at)
    return {"injects": len(late), "expected": drills * INJECTS, "left": left,
            "p50_ms": statistics.median(late), "p99_ms": late[int(len(late) * 0.99) - 1],
            "max_ms": late[-1], "early": sum(1 for x in late if x < 0),
            "twice": sum(1 for n in fired.values() if n > 1), "cpu_s": cpu, "peak_mib": peak / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--drills", type=int, default=100)
    parser.add_argument("--speed", type=float, default=60)
    args = parser.parse_args()
    print(f"{args.drills} drills × {INJECTS} injects at ×{args.speed}, one engine process")
    for backend in args.backends:
        if backend == "sqlite":
            folder = Path(tempfile.mkdtemp(prefix="santelab-bench-drills-"))
            figures = run(f"sqlite:///{folder / 'sandbox.sqlite'}", args.drills, args.speed)
        else:
            server = PostgresServer().start()
            try:
                figures = run(server.database(), args.drills, args.speed)
            finally:
                server.stop()
        print(f"{backend:10} injects {figures['injects']}/{figures['expected']} "
              f"(drills unfinished {figures['left']})  lateness p50 {figures['p50_ms']:.0f} ms  "
              f"p99 {figures['p99_ms']:.0f} ms  max {figures['max_ms']:.0f} ms  "
              f"early {figures['early']}  twice {figures['twice']}  "
              f"engine CPU {figures['cpu_s']:.1f} s  peak RSS {figures['peak_mib']:.0f} MiB")


if __name__ == "__main__":
    main()
