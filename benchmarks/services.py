"""Service benchmark: requests/s and p50/p99 latency of the sandbox's HTTP services under 50 and
200 concurrent clients on loopback, on SQLite and PostgreSQL, beside a bare FastAPI
`async def` hello endpoint measured in the same run on the same machine.

Load generator: `wrk` (Debian package, installed by this script when missing and run as root),
duration-based (`-d`), 2 threads, `--latency` percentiles. Each server is ONE uvicorn worker
started by the real command (`santelab sandbox up`), in its own process; wrk runs beside it on
the same 2 cores. Every service request is authenticated (bearer token) and leaves an event
row (the audit trail), so a "search" is also a durable write.

Two loads. *Saturation*: every client sends its next request as soon as it has the answer
(closed loop); latency is then queueing, and Little's law bounds it below by clients ÷
throughput: 200 clients at 400 req/s cannot have a p50 under 500 ms, whatever the code.
*Réflexion*: 200 clients each pause 1–3 s (seeded uniform) between requests, as a class of
students or a service's users do; this is the load the p99 target is read against.

    .venv/bin/python benchmarks/services.py                      # full run (~8 min)
    .venv/bin/python benchmarks/services.py --backends sqlite --duration 5 --clients 50
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the test suite's server helpers: tests.fixtures
from tests.fixtures.personas import persona_token  # noqa: E402
from tests.fixtures.postgres import PostgresServer  # noqa: E402
from tests.fixtures.servers import SandboxUp, UvicornProcess  # noqa: E402

TENANT = "bench"


# --- servers ----------------------------------------------------------------------------------

def start_hello() -> UvicornProcess:
    return UvicornProcess("tests.fixtures.servers:hello_app", cwd=ROOT).start()


def start_sandbox(db: str, data_dir: Path, patients: int) -> SandboxUp:
    return SandboxUp("--db", db, "--data-dir", str(data_dir), "--patients", str(patients),
                     "--tenant", TENANT, cwd=ROOT, timeout=600).start()


# --- wrk --------------------------------------------------------------------------------------

def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        sys.exit("wrk est introuvable : installez le paquet Debian « wrk » (apt-get install wrk).")
    print("Installation de wrk (paquet Debian)…", flush=True)
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "wrk"],
                   check=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    return shutil.which("wrk") or sys.exit("wrk toujours introuvable après installation.")


LUA = """
wrk.method = {method}
wrk.headers["Content-Type"] = "application/json"
{auth}
local body = {body}
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
function init(args)
  math.randomseed({seed} + (tid or 0))  -- a seed fixes every sample, per wrk thread
end
-- Think time (ms) between a client's response and its next request; none at saturation.
local think_min, think_max = {think_min}, {think_max}
if think_max then
  function delay()
    return math.random(think_min, think_max)
  end
end
local n = 0
request = function()
  n = n + 1
  local b = body and (string.gsub(body, "__N__", tostring(tid) .. "." .. tostring(n)))
  return wrk.format(nil, nil, nil, b)
end
"""


def _lua_string(text: str | None) -> str:
    return "nil" if text is None else json.dumps(text)


def run_wrk(wrk: str, url: str, *, clients: int, duration: int, method: str = "GET",
            token: str | None = None, body: str | None = None,
            think: tuple[int, int] | None = None, seed: int = 42) -> dict:
    """One wrk run: closed loop at saturation, or each client pausing `think` ms (min, max,
    uniform) between its requests, as people at their keyboards do."""
    auth = f'wrk.headers["Authorization"] = "Bearer {token}"' if token else ""
    low, high = think or ("nil", "nil")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA.format(method=json.dumps(method), auth=auth, body=_lua_string(body),
                                seed=seed, think_min=low, think_max=high))
    try:
        out = subprocess.run([wrk, "-t2", f"-c{clients}", f"-d{duration}s", "--timeout", "10s",
                              "--latency", "-s", script.name, url],
                             capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(script.name)
    return parse_wrk(out)


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * _UNITS[unit]


def parse_wrk(out: str) -> dict:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                       out)
    return {"rps": rps, "p50": p50, "p99": p99, "requests": total,
            "non_2xx": int(bad.group(1)) if bad else 0,
            "socket_errors": sum(map(int, errors.groups())) if errors else 0}


# --- the measured requests --------------------------------------------------------------------

def token(url: str, login: str) -> str:
    return persona_token(url, login, TENANT)


def scenarios(url: str, patients: int, seed: int = 42) -> list[dict]:
    """The requests to load, built from the seeded population (nothing hard-coded)."""
    import synthetic_data
    from synthetic_data.nir import OID_INS_TEST

    population = synthetic_data.generate(n=patients, seed=seed)
    person = next(p for p in population.identities() if p.identity.ins and not p.related_to)
    ident = person.identity
    doctor = token(url, "medecin")
    me = httpx.get(f"{url}/auth/me", headers={"Authorization": f"Bearer {doctor}"}).json()
    prefix = population.practitioners[0].birth_name[:3].lower()
    traits = {"nom_naissance": ident.birth_name, "prenoms": ident.given_names,
              "sexe": ident.sex.value, "date_naissance": ident.birth_date.isoformat()}
    out = [
        {"name": "annuaire : recherche", "method": "GET", "token": doctor,
         "path": f"/annuaire/fhir/Practitioner?name={prefix}&_count=10"},
        {"name": "INSi : récupération (traits)", "method": "POST", "token": doctor,
         "path": "/insi/recuperation/traits", "body": json.dumps(traits)},
    ]
    patient_persona = httpx.get(f"{url}/auth/me", headers={
        "Authorization": f"Bearer {token(url, 'patient')}"}).json()["patient_id"]
    followed = next(p for p in population.identities() if p.id == patient_persona)
    system = OID_INS_TEST
    search = f"/dmp/fhir/DocumentReference?patient.identifier={system}|{followed.identity.ins}"
    if httpx.get(url + search, headers={"Authorization": f"Bearer {doctor}"}).status_code == 200:
        out.append({"name": "DMP : recherche (ITI-67)", "method": "GET", "token": doctor,
                    "path": search + "&_count=10"})
        body = dmp_document(url, doctor, followed.identity.ins)
        if body is not None:
            out.append({"name": "DMP : dépôt (création)", "method": "POST", "token": doctor,
                        "path": "/dmp/fhir/DocumentReference", "body": body})
    del me
    return out


def dmp_document(url: str, doctor: str, ins: str) -> str | None:
    """A DocumentReference body whose masterIdentifier changes per request (`__N__`)."""
    from sandbox.client import connect

    s = connect("medecin", url=url, tenant=TENANT)
    try:
        resource = s.dmp._resource(patient=ins, type="11488-4", title="Compte rendu (banc)",
                                   text="Consultation de contrôle.", pdf=None,
                                   confidentiality="N", class_code="10", date=None,
                                   master_identifier="urn:oid:1.2.250.1.999.__N__")
    except (AttributeError, TypeError):
        return None
    body = json.dumps(resource)
    probe = body.replace("__N__", "0.0")
    answer = httpx.post(f"{url}/dmp/fhir/DocumentReference", content=probe,
                        headers={"Authorization": f"Bearer {doctor}",
                                 "Content-Type": "application/json"})
    return body if answer.status_code in (200, 201) else None


# --- the run ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Load:
    """How the clients behave: at saturation (no pause) or thinking between requests."""

    clients: int
    duration: int
    think: tuple[int, int] | None = None

    @property
    def label(self) -> str:
        if self.think is None:
            return "saturation"
        return f"réflexion {self.think[0] / 1000:g}–{self.think[1] / 1000:g} s"

    @property
    def wrk(self) -> dict:
        return {"clients": self.clients, "duration": self.duration, "think": self.think}

    @property
    def row(self) -> dict:
        return {"load": self.label, "clients": self.clients}


def loads(args) -> list[Load]:
    out = [Load(clients, args.duration) for clients in args.clients]
    if args.think:
        out += [Load(clients, args.think_duration, args.think) for clients in args.think_clients]
    return out


def measure(args, wrk: str) -> list[dict]:
    rows: list[dict] = []
    hello = start_hello()
    hello_url = hello.url
    try:
        for load in loads(args):
            result = run_wrk(wrk, f"{hello_url}/hello", **load.wrk)
            rows.append({"backend": "-", "name": "hello (FastAPI async, témoin)", **load.row,
                         **result})
            print(_line(rows[-1], None), flush=True)
    finally:
        hello.stop()
    for backend in args.backends:
        folder = Path(tempfile.mkdtemp(prefix=f"santelab-bench-{backend}-"))
        pg = None
        if backend == "sqlite":
            db = f"sqlite:///{folder / 'bench.sqlite'}"
        else:
            pg = PostgresServer(fsync=True).start()
            db = pg.database("bench")
        try:
            first = start_sandbox(db, folder / "data", args.patients)
            print(f"[{backend}] sandbox up (base vide, peuplement compris) : prête en "
                  f"{first.ready_seconds:.1f} s — {_ready(first)}", flush=True)
            first.stop()
            server = start_sandbox(db, folder / "data", args.patients)
            print(f"[{backend}] sandbox up (base déjà peuplée) : prête en "
                  f"{server.ready_seconds:.1f} s — {_ready(server)}", flush=True)
            url = server.url
            try:
                for scenario in scenarios(url, args.patients):
                    for load in loads(args):
                        result = run_wrk(wrk, url + scenario["path"], **load.wrk,
                                         method=scenario["method"], token=scenario["token"],
                                         body=scenario.get("body"))
                        rows.append({"backend": backend, "name": scenario["name"],
                                     **load.row, **result})
                        hello_row = next(r for r in rows if r["backend"] == "-"
                                         and r["load"] == load.row["load"]
                                         and r["clients"] == load.row["clients"])
                        print(_line(rows[-1], hello_row), flush=True)
            finally:
                server.stop()
        finally:
            if pg is not None:
                pg.stop()
            shutil.rmtree(folder, ignore_errors=True)
    return rows


def _ready(process: SandboxUp) -> str:
    line = next((x for x in process.lines if "prêt en" in x), "").strip()
    return line.split(";")[0]


def _line(row: dict, hello: dict | None) -> str:
    text = (f"{row['backend']:<10} {row['name']:<32} {row['clients']:>4} clients "
            f"({row['load']}) : "
            f"{row['rps']:>8.0f} req/s  p50 {row['p50']:>7.1f} ms  p99 {row['p99']:>7.1f} ms  "
            f"({row['requests']} requêtes, non-2xx {row['non_2xx']}, "
            f"erreurs socket {row['socket_errors']})")
    if hello is not None:
        text += (f"  | vs hello : débit ×{row['rps'] / hello['rps']:.2f}, "
                 f"p99 ×{row['p99'] / hello['p99']:.1f}")
    return text


def _range_ms(text: str) -> tuple[int, int] | None:
    if text == "0":
        return None
    low, _, high = text.partition("-")
    return int(low), int(high or low)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=lambda s: [int(x) for x in s.split(",")],
                        default=[50, 200])
    parser.add_argument("--duration", type=int, default=10, help="secondes par mesure")
    parser.add_argument("--backends", type=lambda s: s.split(","),
                        default=["sqlite", "postgresql"])
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument("--think", type=_range_ms, default=(1000, 3000),
                        help="pause de chaque client entre deux requêtes, en ms (min-max), "
                             "pour la charge « réflexion » ; 0 pour ne pas la mesurer")
    parser.add_argument("--think-clients", type=lambda s: [int(x) for x in s.split(",")],
                        default=[200])
    parser.add_argument("--think-duration", type=int, default=20,
                        help="secondes par mesure avec réflexion")
    parser.add_argument("--json", type=Path, help="écrire aussi les mesures en JSON")
    args = parser.parse_args()
    wrk = ensure_wrk()
    print(f"Charge : wrk, 2 fils, {args.duration} s par mesure, {os.cpu_count()} cœurs ; "
          "un seul worker uvicorn par serveur.", flush=True)
    rows = measure(args, wrk)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
