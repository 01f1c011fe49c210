"""DMP search (ITI-67) at saturation: a patient with 10 documents against one with 400, and both
against a minimal FastAPI + SQLAlchemy endpoint on the same database in the same run.

A search is paged and counted in SQL (one statement, LIMIT/OFFSET on the patient-and-date index),
so its cost should not grow with the patient's documents: asked for pages of the same size
(`_count=10`, the minimal endpoint's page too) the two rates should agree within 20 %. The
minimal endpoint does what any audited read must at least do here (one indexed select of a
page of documents, one event inserted, one commit, over the same engine settings): the stack's
own ceiling on this machine; the search is reported as a ratio to it (target >= 0.5).

Load: `wrk` (closed loop, every client re-sends at once), 2 threads, each server ONE uvicorn
worker in its own process, all on the same 2 cores.

    .venv/bin/python benchmarks/dmp_search.py                     # 200 clients, 10 s each
    .venv/bin/python benchmarks/dmp_search.py --clients 50 --duration 5
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from services import ensure_wrk, run_wrk

from sandbox.ports import free_port

TENANT = "bench"
PASSWORD = "bac-a-sable"
PATIENTS = {"pat-10": ("279035121518989", 10), "pat-400": ("190012A00100156", 400)}
SYSTEM = "urn:oid:1.2.250.1.213.1.4.10"
PAGE = 10  # one page of the same size everywhere: the search and the minimal endpoint


def sandbox_app():
    """uvicorn factory: the sandbox on SANTELAB_DB."""
    from sandbox.app import create_app
    from sandbox.runtime import Sandbox
    from sandbox.settings import Settings

    return create_app(Sandbox.open(Settings()))


def minimal_app():
    """uvicorn factory: one sync route, one indexed select of a page and one event insert."""
    from datetime import UTC, datetime

    from fastapi import FastAPI
    from sqlalchemy import insert, select
    from sqlalchemy.orm import sessionmaker
    from starlette.concurrency import run_in_threadpool

    from sandbox.events_models import EventRow
    from sandbox.services.dmp.models import DmpDocumentRow
    from sandbox.store.db import make_engine
    from sandbox.transactions import MAX_CONCURRENT_REQUESTS

    sessions = sessionmaker(make_engine(os.environ["SANTELAB_DB"]))
    app = FastAPI()
    # Admission as the sandbox does it (deps.MAX_CONCURRENT_REQUESTS): 200 route threads
    # fighting over one GIL and one SQLite writer ran this endpoint ~5x slower.
    slots = asyncio.Semaphore(MAX_CONCURRENT_REQUESTS)

    @app.get("/minimal/{patient}")
    async def minimal(patient: str) -> dict:
        async with slots:
            return await run_in_threadpool(select_and_insert, patient)

    def select_and_insert(patient: str) -> dict:
        with sessions() as session, session.begin():
            ids = session.scalars(select(DmpDocumentRow.id).where(
                DmpDocumentRow.tenant == TENANT, DmpDocumentRow.patient_id == patient)
                .order_by(DmpDocumentRow.date.desc()).limit(PAGE)).all()
            session.execute(insert(EventRow), [{
                "tenant": TENANT, "at": datetime.now(UTC), "service": "bench",
                "action": "bench.read", "persona": "medecin", "role": "medecin",
                "target": None, "patient": patient, "outcome": "success", "detail": {}}])
        return {"documents": ids}

    return app


def seed(db_url: str) -> None:
    """A gp persona and two patients of 10 and 400 documents, filed as ITI-65 files them."""
    from datetime import UTC, datetime, timedelta

    from sandbox.auth import hash_password
    from sandbox.auth_models import PersonaRow
    from sandbox.runtime import Sandbox
    from sandbox.services.dmp import crud, documents
    from sandbox.services.dmp.models import DmpPatientRow
    from sandbox.settings import Settings

    sandbox = Sandbox.open(Settings(db=db_url))
    text = base64.b64encode(b"Compte rendu de consultation. " * 40).decode()
    start = datetime(2024, 1, 1, tzinfo=UTC)
    with sandbox.store.session() as session:
        session.add(PersonaRow(tenant=TENANT, login="medecin", role="medecin",
                               display_name="medecin", password_hash=hash_password(PASSWORD),
                               practitioner_id="gp1"))
        for patient_id, (ins, count) in PATIENTS.items():
            patient = DmpPatientRow(tenant=TENANT, patient_id=patient_id, ins=ins,
                                    identity_status="QUAL", family="MARTIN", given="Claire",
                                    birth_date="1979-03-12", gp_id="gp1", opposed=False)
            session.add(patient)
            for i in range(count):
                body = {"resourceType": "DocumentReference", "status": "current",
                        "masterIdentifier": {"value": f"urn:oid:1.2.250.1.999.{patient_id}.{i}"},
                        "type": {"coding": [{"system": "http://loinc.org", "code": "11488-4"}]},
                        "subject": {"identifier": {"system": SYSTEM, "value": ins}},
                        "date": (start + timedelta(days=i)).isoformat(),
                        "content": [{"attachment": {"contentType": "text/plain", "data": text}}]}
                sub = documents.parse(body, now=start + timedelta(days=i))
                session.add_all(crud.new_row(tenant=TENANT, sub=sub, patient=patient,
                                             author_id="gp1"))
    sandbox.store.dispose()


class Server:
    """One uvicorn worker serving a factory of this file, in its own process."""

    def __init__(self, factory: str, env: dict[str, str]):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        here = Path(__file__).resolve().parent
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "--app-dir", str(here),
             f"dmp_search:{factory}", "--port", str(self.port), "--log-level", "warning",
             "--no-access-log", "--backlog", "2048"], env={**os.environ, **env})
        for _ in range(600):
            try:
                httpx.get(self.url + "/docs", timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError("uvicorn did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)


def line(name: str, result: dict) -> str:
    return (f"{name:<44} {result['rps']:8.0f} req/s   p50 {result['p50']:7.1f} ms   "
            f"p99 {result['p99']:7.1f} ms   non-2xx {result['non_2xx']}   "
            f"socket errors {result['socket_errors']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--duration", type=int, default=10, help="seconds per measure")
    args = parser.parse_args()
    wrk = ensure_wrk()
    folder = Path(tempfile.mkdtemp(prefix="santelab-bench-search-"))
    db_url = f"sqlite:///{folder / 'sandbox.sqlite'}"
    seed(db_url)
    env = {"SANTELAB_DB": db_url, "SANTELAB_DATA_DIR": str(folder)}
    results = {}
    minimal = Server("minimal_app", env)
    try:
        for patient in PATIENTS:
            run_wrk(wrk, f"{minimal.url}/minimal/{patient}", clients=args.clients, duration=2)
            results[f"minimal select+insert ({patient})"] = run_wrk(
                wrk, f"{minimal.url}/minimal/{patient}", clients=args.clients,
                duration=args.duration)
    finally:
        minimal.stop()
    server = Server("sandbox_app", env)
    try:
        token = httpx.post(f"{server.url}/auth/token", timeout=60, json={
            "tenant": TENANT, "login": "medecin", "password": PASSWORD}).json()["access_token"]
        for ins, count in PATIENTS.values():
            url = (f"{server.url}/dmp/fhir/DocumentReference?patient.identifier={SYSTEM}%7C{ins}"
                   f"&_count={PAGE}")
            check = httpx.get(url, headers={"Authorization": f"Bearer {token}"},
                              timeout=60).json()
            assert check["total"] == count, check
            run_wrk(wrk, url, clients=args.clients, duration=2, token=token)  # warm-up
            results[f"DMP search ({count} documents)"] = run_wrk(
                wrk, url, clients=args.clients, duration=args.duration, token=token)
    finally:
        server.stop()
    print(f"SQLite, {args.clients} clients at saturation, {args.duration} s each")
    for name, result in results.items():
        print(line(name, result))
    small, large = results["DMP search (10 documents)"], results["DMP search (400 documents)"]
    ceiling = max(r["rps"] for n, r in results.items() if n.startswith("minimal"))
    print(f"\n400 vs 10 documents: {large['rps'] / small['rps']:.2f}x (target 0.8-1.2)")
    print(f"search / minimal endpoint: 10 docs {small['rps'] / ceiling:.2f}x, "
          f"400 docs {large['rps'] / ceiling:.2f}x (target >= 0.5)")


if __name__ == "__main__":
    main()
