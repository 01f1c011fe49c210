"""DMP and e-prescription throughput over HTTP, next to a bare FastAPI "hello" served the same way.

A uvicorn process (one worker) serves a small hand-built tenant on SQLite; this process loads
it with `--clients` threads (httpx) and prints requests/s and latency percentiles for: DMP
document writes (ITI-65, each commit durable before the answer), DMP searches (ITI-67),
e-prescription create + scan + dispense, and the hello baseline (design.md: report ratios to
hello measured in the same run).

    .venv/bin/python benchmarks/dmp_eprescription.py
    .venv/bin/python benchmarks/dmp_eprescription.py --requests 400 --clients 50
"""

from __future__ import annotations

import argparse
import base64
import statistics
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the test suite's server helpers: tests.fixtures
from tests.fixtures.personas import PASSWORD, persona_token  # noqa: E402
from tests.fixtures.servers import UvicornProcess  # noqa: E402

INS = "279035121518989"  # a valid test INS (key 89)


def make_app():
    """uvicorn factory: the sandbox app on SANTELAB_DB."""
    from sandbox.app import create_app
    from sandbox.runtime import Sandbox
    from sandbox.settings import Settings

    return create_app(Sandbox.open(Settings()))


def seed(db_url: str) -> None:
    from sandbox.auth import hash_password
    from sandbox.auth_models import PersonaRow
    from sandbox.runtime import Sandbox
    from sandbox.services.dmp.models import DmpPatientRow
    from sandbox.settings import Settings

    sandbox = Sandbox.open(Settings(db=db_url))
    digest = hash_password(PASSWORD)
    with sandbox.store.session() as session:
        for login, role, pr in (("medecin", "medecin", "gp1"), ("pharmacien", "pharmacien", "ph1")):
            session.add(PersonaRow(tenant="bench", login=login, role=role, display_name=login,
                                   password_hash=digest, practitioner_id=pr))
        session.add(DmpPatientRow(tenant="bench", patient_id="pat-1", ins=INS,
                                  identity_status="QUAL", family="MARTIN", given="Claire",
                                  birth_date="1979-03-12", gp_id="gp1", opposed=False))
    sandbox.store.dispose()


def serve(factory: str, env: dict[str, str] | None = None) -> UvicornProcess:
    """One uvicorn worker in its own process, serving `factory`."""
    return UvicornProcess(factory, app_dir=str(HERE), env=env, cwd=HERE.parent).start()


def load(name: str, requests: int, clients: int, call) -> float:
    """Run `call(client, i)` `requests` times over `clients` threads; print and return req/s."""
    latencies: list[float] = []

    def worker(k: int) -> None:
        with httpx.Client(timeout=120) as client:
            for i in range(k, requests, clients):
                started = time.perf_counter()
                call(client, i)
                latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(worker, range(clients)))
    elapsed = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100)
    rate = requests / elapsed
    print(f"{name:<34} {rate:8.0f} req/s   p50 {cuts[49] * 1000:7.1f} ms   "
          f"p99 {cuts[98] * 1000:7.1f} ms")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=50)
    args = parser.parse_args()
    n, c = args.requests, args.clients

    folder = Path(tempfile.mkdtemp(prefix="santelab-bench-"))
    db_url = f"sqlite:///{folder / 'sandbox.sqlite'}"
    seed(db_url)

    hello = serve("tests.fixtures.servers:hello_app")
    try:
        def say_hello(client, _i):
            client.get(hello.url + "/hello").raise_for_status()

        base = load("hello (bare FastAPI, async)", n, c, say_hello)
    finally:
        hello.stop()

    server = serve("dmp_eprescription:make_app",
                   {"SANTELAB_DB": db_url, "SANTELAB_DATA_DIR": str(folder)})
    try:
        def token(login):
            return {"Authorization": f"Bearer {persona_token(server.url, login, 'bench')}"}

        doctor, pharmacist = token("medecin"), token("pharmacien")
        text = base64.b64encode(("Compte rendu de consultation. " * 40).encode()).decode()

        def write(client, _i):
            body = {"resourceType": "DocumentReference", "status": "current",
                    "masterIdentifier": {"value": f"urn:uuid:{uuid.uuid4()}"},
                    "type": {"coding": [{"system": "http://loinc.org", "code": "11488-4"}]},
                    "subject": {"identifier": {"system": "urn:oid:1.2.250.1.213.1.4.10",
                                               "value": INS}},
                    "content": [{"attachment": {"contentType": "text/plain", "data": text}}]}
            client.post(server.url + "/dmp/fhir/DocumentReference", json=body,
                        headers=doctor).raise_for_status()

        def search(client, _i):
            client.get(server.url + "/dmp/fhir/DocumentReference", headers=doctor, params={
                "patient.identifier": f"urn:oid:1.2.250.1.213.1.4.10|{INS}",
                "type": "11488-4", "date": "ge2020-01-01"}).raise_for_status()

        def prescribe_and_dispense(client, _i):
            p = client.post(server.url + "/eprescription/prescriptions", headers=doctor, json={
                "patient": INS, "lignes": [{"medicament": "PARACETAMOL 1 g", "posologie":
                                            "si douleur", "quantite": 1, "duree_jours": 5}]})
            number = p.json()["numero"]
            client.post(server.url + "/eprescription/scan", headers=pharmacist,
                        json={"code": p.json()["qr"]}).raise_for_status()
            client.post(server.url + f"/eprescription/prescriptions/{number}/dispense",
                        headers=pharmacist, json={"ligne": 1, "quantite": 1}).raise_for_status()

        # search a DMP of a realistic size (20 documents) before the write phase fills it
        with httpx.Client(timeout=60) as client:
            for i in range(20):
                write(client, i)
        rates = {"DMP search (ITI-67, 20 documents)": load(
            "DMP search (ITI-67, 20 documents)", n, c, search)}
        rates["DMP write (ITI-65, durable)"] = load("DMP write (ITI-65, durable)", n, c, write)
        rates["e-prescription create+scan+dispense"] = load(
            "e-prescription create+scan+dispense", max(n // 5, c), c, prescribe_and_dispense)
    finally:
        server.stop()
    print(f"\nratios to hello ({base:.0f} req/s, same machine, same run):")
    for name, rate in rates.items():
        print(f"  {name:<32} {rate / base:6.3f}")


if __name__ == "__main__":
    main()
