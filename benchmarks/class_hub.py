"""A class on the JupyterHub of deploy/jupyterhub/: N students working a notebook at once
against the ONE shared sandbox on PostgreSQL, beside one student alone as the baseline, in the
same run on the same machine.

Each student is a hub user with their own server (local spawner) and kernel, driven through
the Jupyter REST and kernel APIs (no browser). Their notebook is the class hub test's sample
assignment: the set-up cell (import the client, log in as two personas of their own tenant,
which the sandbox seeded in the background when it started: deploy/jupyterhub passes the
students' list) and a DMP exercise cell (feed a document, search the patient's DMP). Timed per
cell from the kernel's reply: the set-up cell's first run in a new kernel, a second run, and
the DMP cell `--dmp-runs` times per student.

Server figures while the students work: CPU seconds (user + system) and CPU share of the
sandbox process, of PostgreSQL (all its processes) and of the hub with its proxy; peak resident
memory of each (RSS summed over processes: shared pages counted more than once) and of one
student's server with its kernel. On 2 cores shared with other work, waits for a core are part
of every latency: the load average is printed.

    .venv/bin/python benchmarks/class_hub.py                 # 30 students (~6 min here)
    .venv/bin/python benchmarks/class_hub.py --students 5 --patients 20
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the test suite's server helpers: tests.fixtures
from tests.fixtures.class_hub import ANSWER, CHECK, SETUP, ClassHub  # noqa: E402
from tests.fixtures.jupyter_kernels import Kernel  # noqa: E402
from tests.fixtures.postgres import PostgresServer  # noqa: E402


def timed(kernel: Kernel, code: str) -> float:
    started = time.perf_counter()
    kernel.run(code)
    return time.perf_counter() - started


def work(hub: ClassHub, server: str, dmp_runs: int) -> dict[str, list[float]]:
    """One student's notebook: set-up (first login), set-up again, the DMP cell `dmp_runs` times."""
    with Kernel(server, hub.token) as kernel:
        first = timed(kernel, SETUP)
        again = timed(kernel, SETUP)
        dmp = [timed(kernel, ANSWER + "\n" + CHECK) for _ in range(dmp_runs)]
    return {"setup_first": [first], "setup": [again], "dmp": dmp}


class Sampler(threading.Thread):
    """CPU seconds and peak RSS of named process groups, sampled every half second."""

    def __init__(self, groups: dict[str, callable]):
        super().__init__(daemon=True)
        self.groups, self.stop_event = groups, threading.Event()
        self.cpu_start = {name: self._cpu(find()) for name, find in groups.items()}
        self.peak = dict.fromkeys(groups, 0)
        self.started = time.perf_counter()

    @staticmethod
    def _cpu(processes: list[psutil.Process]) -> float:
        """Live processes' CPU plus their reaped children's (exited kernels, PostgreSQL
        backends of closed connections)."""
        total = 0.0
        for p in processes:
            with contextlib.suppress(psutil.Error):
                t = p.cpu_times()
                total += t.user + t.system + t.children_user + t.children_system
        return total

    @staticmethod
    def _rss(processes: list[psutil.Process]) -> int:
        total = 0
        for p in processes:
            with contextlib.suppress(psutil.Error):
                total += p.memory_info().rss
        return total

    def run(self) -> None:
        while not self.stop_event.wait(0.5):
            for name, find in self.groups.items():
                self.peak[name] = max(self.peak[name], self._rss(find()))

    def finish(self) -> dict[str, tuple[float, float, int]]:
        """name -> (CPU seconds, CPU share of one core, peak RSS bytes)."""
        self.stop_event.set()
        self.join()
        wall = time.perf_counter() - self.started
        result = {}
        for name, find in self.groups.items():
            cpu = self._cpu(find()) - self.cpu_start[name]
            result[name] = (cpu, cpu / wall, self.peak[name])
        return result


def tree(pid: int) -> list[psutil.Process]:
    """The process and its descendants; [] once it is gone (a child may vanish meanwhile)."""
    for _ in range(5):
        try:
            root = psutil.Process(pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            if not psutil.pid_exists(pid):
                return []
    return []


def process_groups(hub: ClassHub, postgres: PostgresServer) -> dict[str, callable]:
    hub_tree = tree(hub.process.pid)
    sandbox = next(p for p in hub_tree if "sandbox" in p.cmdline() and "up" in p.cmdline())
    proxy = [p for p in hub_tree if "configurable-http-proxy" in " ".join(p.cmdline())]
    postmaster = int((postgres.dir / "data" / "postmaster.pid").read_text().split()[0])
    hub_process = psutil.Process(hub.process.pid)

    def user_servers() -> list[psutil.Process]:
        found = []
        for server in hub_process.children():
            with contextlib.suppress(psutil.Error):
                if "jupyterhub-singleuser" in " ".join(server.cmdline()):
                    found += tree(server.pid)
        return found

    return {
        "sandbox (santelab sandbox up)": lambda: tree(sandbox.pid),
        "PostgreSQL": lambda: tree(postmaster),
        "JupyterHub + proxy": lambda: [hub_process, *proxy],
        "user servers + kernels": user_servers,
    }


def user_server_rss(user: str) -> int:
    """RSS of `user`'s single-user server with its kernels."""
    for p in psutil.process_iter(["cmdline", "environ"]):
        try:
            if ("jupyterhub-singleuser" in " ".join(p.info["cmdline"] or [])
                    and (p.info["environ"] or {}).get("JUPYTERHUB_USER") == user):
                return Sampler._rss(tree(p.pid))
        except psutil.Error:
            continue
    return 0


def percentiles(values: list[float]) -> str:
    values = sorted(values)
    p99 = values[min(len(values) - 1, round(0.99 * (len(values) - 1)))]
    return (f"p50 {statistics.median(values) * 1000:7.0f} ms   p99 {p99 * 1000:7.0f} ms   "
            f"(n={len(values)})")


def report(title: str, results: list[dict[str, list[float]]], wall: float,
           servers: dict[str, tuple[float, float, int]] | None) -> None:
    print(f"\n{title} — {wall:.1f} s, load average {os.getloadavg()[0]:.1f}")
    for key, label in (("setup_first", "set-up cell, first run (imports, logins)"),
                       ("setup", "set-up cell, again"), ("dmp", "DMP exercise cell")):
        print(f"  {label:42} {percentiles([v for r in results for v in r[key]])}")
    for name, (cpu, share, peak) in (servers or {}).items():
        print(f"  {name:30} CPU {cpu:6.1f} s ({share * 100:5.1f} % of a core)   "
              f"peak RSS {peak / 2**20:6.0f} MiB")


def session(hub: ClassHub, groups, users: list[str], servers: dict[str, str], dmp_runs: int):
    sampler = Sampler(groups)
    sampler.start()
    started = time.perf_counter()
    with ThreadPoolExecutor(len(users)) as pool:
        results = list(pool.map(lambda u: work(hub, servers[u], dmp_runs), users))
    return results, time.perf_counter() - started, sampler.finish()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--patients", type=int, default=50,
                        help="population each student's tenant is seeded with")
    parser.add_argument("--dmp-runs", type=int, default=5, help="DMP cells per student")
    args = parser.parse_args()
    alone, class_ = "solo", [f"e{i:02d}" for i in range(1, args.students + 1)]
    print(f"{os.cpu_count()} cores; {args.students} students + 1 alone; tenants of "
          f"{args.patients} patients; {args.dmp_runs} DMP cells each")
    postgres = PostgresServer().start()
    hub = ClassHub(postgres.database(), [alone, *class_], ["prof"],
                   SANTELAB_PATIENTS=str(args.patients))
    try:
        started = time.perf_counter()
        hub.start()
        print(f"hub and sandbox ready in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:  # as students arrive: a few spawns at a time
            urls = dict(zip([alone, *class_], pool.map(hub.spawn, [alone, *class_]),
                            strict=True))
        print(f"{len(urls)} user servers ready in {time.perf_counter() - started:.1f} s; one "
              f"server with no kernel: {user_server_rss(alone) / 2**20:.0f} MiB RSS")
        groups = process_groups(hub, postgres)
        report("1 student alone (baseline)", *session(hub, groups, [alone], urls, args.dmp_runs))
        with Kernel(urls[class_[0]], hub.token) as kernel:  # one student's kernel, measured
            kernel.run(SETUP)
            print(f"one student's server with a working kernel: "
                  f"{user_server_rss(class_[0]) / 2**20:.0f} MiB RSS")
        report(f"{args.students} students at once",
               *session(hub, groups, class_, urls, args.dmp_runs))
    finally:
        hub.stop()
        postgres.stop()


if __name__ == "__main__":
    main()
