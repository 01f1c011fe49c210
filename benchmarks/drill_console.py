"""Drill console benchmark: the time from an event (an inject sent by the engine, committed in
the store) to its appearance in the facilitator's console, open in Debian Chromium.

The sandbox's app is served by uvicorn on loopback (SQLite); one drill of N message injects; for
each, at a random point of the page's poll cycle (seeded), the engine sends it now (inject now +
tick, on the real clock), then the browser waits
(requestAnimationFrame polling) for the inject's row to read "envoyé". The console polls its
JSON every `POLL_MS`: the figure is about half that on average, at most that plus one request.

    .venv/bin/python benchmarks/drill_console.py            # 30 events (~30 s)
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the test suite's helpers: tests.fixtures
from sandbox.drills.console import POLL_MS  # noqa: E402
from tests.fixtures.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.fixtures.servers import AppServer  # noqa: E402


def scenario(events: int) -> str:
    return "\n".join([
        "id: banc-console", "titre: Banc de la console", "equipes: {dsi: DSI}", "duree: 10h",
        "injects:",
        *(f"  - {{cle: m{n:03d}, a: 9h, type: message, canal: sms, texte: Message {n}}}"
          for n in range(events)),
        "attentes: []", ""])


def run(events: int) -> list[float]:
    with tempfile.TemporaryDirectory(prefix="santelab-bench-console-") as folder:
        return _measure(Path(folder), events)


def _measure(folder: Path, events: int) -> list[float]:
    import httpx
    from playwright.sync_api import sync_playwright

    from sandbox.app import create_app
    from sandbox.auth import hash_password
    from sandbox.auth_models import PersonaRow
    from sandbox.drills.engine import Engine
    from sandbox.drills.scenario import parse
    from sandbox.runtime import Sandbox
    from sandbox.settings import Settings

    sandbox = Sandbox.open(Settings(db=f"sqlite:///{folder / 'sandbox.sqlite'}", data_dir=folder))
    with sandbox.store.session() as session:
        session.add(PersonaRow(tenant="banc", login="facilitateur", role="facilitateur",
                               display_name="Animateur", password_hash=hash_password("banc")))
    engine = Engine(sandbox)
    engine.start("banc", parse(scenario(events), "banc.yaml"), level="intermédiaire",
                 run_id="banc")
    seconds = []
    with AppServer(create_app(sandbox)) as server, sync_playwright() as playwright:
        token = httpx.post(f"{server.url}/auth/token", json={
            "tenant": "banc", "login": "facilitateur", "password": "banc"}).json()["access_token"]
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(f"{server.url}/drill/console/banc#jeton={token}")
        page.wait_for_selector('#injects tr[data-cle="m000"]')
        phase = random.Random(1)
        for n in range(events):
            key = f"m{n:03d}"
            time.sleep(phase.uniform(0, POLL_MS / 1000))  # events at any point of a poll cycle
            engine.inject_now("banc", "banc", key)
            engine.tick()
            sent = time.perf_counter()
            page.wait_for_function(
                f"document.querySelector('#injects tr[data-cle=\"{key}\"]').className === 'envoyé'",
                polling="raf")
            seconds.append(time.perf_counter() - sent)
        browser.close()
    sandbox.store.dispose()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=30)
    seconds = sorted(run(parser.parse_args().events))
    ms = [s * 1000 for s in seconds]
    print(f"event → console in Chromium, {len(ms)} events, page polling every {POLL_MS} ms: "
          f"p50 {statistics.median(ms):.0f} ms  mean {statistics.mean(ms):.0f} ms  "
          f"p95 {ms[int(len(ms) * 0.95) - 1]:.0f} ms  max {ms[-1]:.0f} ms")


if __name__ == "__main__":
    main()
