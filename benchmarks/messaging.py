"""MSSanté throughput and latency, beside a plain aiosmtpd Sink measured in the same run.

    .venv/bin/python benchmarks/messaging.py [--clients 20] [--messages 50] [--probes 100]

Prints, for the same TLS + AUTH session shape (STARTTLS, AUTH PLAIN, one connection per
sender kept open): messages accepted per second with N concurrent senders and the per-message
SMTP latency (MAIL..DATA → 250) p50/p99, for aiosmtpd's `Sink` (accepts and drops) and for the
sandbox (policy, Annuaire lookups, MIME checks, commit before 250); then the end-to-end
latency send → visible in IMAP (UID SEARCH polled on an open IMAP session) under that load.
The clients run in processes of their own (20 sender threads sharing the server's GIL measured
the clients as much as the server); the server process's CPU time per message (the difference
to the Sink is the sandbox's own cost) stays meaningful on a machine shared with other work,
where the latencies mostly measure how long a process waits for a core.
"""

from __future__ import annotations

import argparse
import imaplib
import multiprocessing
import os
import resource
import smtplib
import ssl
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink
from aiosmtpd.smtp import AuthResult

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sandbox import messaging
from sandbox.messaging.pki import ServerCredentials
from sandbox.ports import free_port
from sandbox.runtime import Sandbox
from sandbox.seeding import SeedPopulation, seed_tenant
from sandbox.settings import Settings

TENANT = "bench"


def mail(sender: str, to: str, subject: str) -> bytes:
    return (f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n\r\n"
            + "Compte rendu de consultation (texte synthétique).\r\n" * 20).encode()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def load(port: int, ca_file: str, senders: list[tuple[str, str]], to: list[str],
         per_client: int) -> tuple[float, list[float]]:
    """(messages/s, per-message latencies in s) for len(senders) concurrent clients."""
    context = ssl.create_default_context(cafile=ca_file)
    latencies: list[float] = []
    lock = threading.Lock()
    errors: list[str] = []
    barrier = threading.Barrier(len(senders) + 1)

    def client(index: int, login: str, address: str) -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
            smtp.starttls(context=context)
            smtp.login(login, "bac-a-sable")
            barrier.wait()
            mine = []
            for n in range(per_client):
                rcpt = to[(index + n) % len(to)]
                started = time.perf_counter()
                smtp.mail(address)
                smtp.rcpt(rcpt)
                code, reply = smtp.data(mail(address, rcpt, f"bench-{index}-{n}"))
                mine.append(time.perf_counter() - started)
                if code != 250:
                    errors.append(f"{code} {reply!r}")
            with lock:
                latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(i, login, address))
               for i, (login, address) in enumerate(senders)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise SystemExit(f"refusals during the benchmark: {errors[:3]}")
    return len(senders) * per_client / elapsed, latencies


def probe(servers: tuple[int, int], ca_file: str, sender: tuple[str, str], reader: tuple[str, str], count: int,
          stop) -> list[float]:
    """Send → visible in IMAP latencies (s), one message at a time."""
    smtp_port, imap_port = servers
    context = ssl.create_default_context(cafile=ca_file)
    samples = []
    imap = imaplib.IMAP4("127.0.0.1", imap_port)
    imap.starttls(ssl_context=context)
    imap.login(reader[0], "bac-a-sable")
    imap.select("INBOX")
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=60) as smtp:
        smtp.starttls(context=context)
        smtp.login(sender[0], "bac-a-sable")
        for n in range(count):
            if stop.is_set():
                break
            key = f"probe{n}x{time.monotonic_ns()}"
            started = time.perf_counter()
            smtp.sendmail(sender[1], [reader[1]], mail(sender[1], reader[1], key))
            while True:
                _typ, data = imap.uid("SEARCH", None, "SUBJECT", key)
                if data[0]:
                    break
            samples.append(time.perf_counter() - started)
    imap.logout()
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--messages", type=int, default=50, help="messages per client")
    parser.add_argument("--probes", type=int, default=100)
    parser.add_argument("--patients", type=int, default=60)
    args = parser.parse_args()

    import synthetic_data

    folder = Path(tempfile.mkdtemp(prefix="santelab-bench-mss-"))
    settings = Settings(data_dir=folder, db=f"sqlite:///{folder / 'sandbox.sqlite'}",
                        tenant=TENANT)
    sandbox = Sandbox.open(settings)
    population = SeedPopulation(synthetic_data.generate(n=args.patients, seed=3, years=1))
    seed_tenant(sandbox, TENANT, population)  # mailboxes included
    from sqlalchemy import select

    from sandbox.auth_models import PersonaRow

    with sandbox.store.session() as session:
        people = sorted(session.execute(select(PersonaRow.login, PersonaRow.mailbox).where(
            PersonaRow.tenant == TENANT, PersonaRow.mailbox.is_not(None),
            PersonaRow.login.like("1%"))).all())
    if len(people) < args.clients + 2:
        raise SystemExit(f"only {len(people)} practitioners: raise --patients")
    senders = [tuple(p) for p in people[:args.clients]]
    recipients = [p[1] for p in people[: args.clients + 10]]
    credentials = ServerCredentials.issue(settings)
    ca_file = str(credentials.ca_file)
    clients = multiprocessing.get_context("fork")  # the server's threads start after the forks
    pool, manager = clients.Pool(2), clients.Manager()

    def measured(port: int) -> tuple[float, list[float], float]:
        """`load` in a client process; the server process's CPU seconds per message."""
        cpu = cpu_seconds()
        rate, latencies = pool.apply(load, (port, ca_file, senders, recipients, args.messages))
        return rate, latencies, (cpu_seconds() - cpu) / (len(senders) * args.messages)

    sink = Controller(Sink(), hostname="127.0.0.1", port=free_port(),
                      server_hostname="localhost", tls_context=credentials.server_context(),
                      require_starttls=True, auth_require_tls=True, auth_required=True,
                      authenticator=lambda *a: AuthResult(success=True))
    sink.start()
    sink_rate, sink_lat, sink_cpu = measured(sink.port)
    sink.stop()

    servers = messaging.serve(sandbox, "127.0.0.1", 0, 0)
    ports = (servers.smtp_port, servers.imap_port)
    prober, reader = tuple(people[-1]), tuple(people[-2])
    stop = manager.Event()
    under_load = pool.apply_async(probe, (ports, ca_file, prober, reader, args.probes, stop))
    rate, lat, cpu = measured(servers.smtp_port)
    stop.set()
    probe_result = under_load.get()
    quiet = pool.apply(probe, (ports, ca_file, prober, reader, args.probes, manager.Event()))
    pool.close()
    manager.shutdown()
    servers.stop()

    n = args.clients * args.messages
    print(f"MSSanté benchmark — {args.clients} concurrent senders × {args.messages} messages "
          f"({n} messages, ~1.2 kB each, STARTTLS + AUTH PLAIN, SQLite WAL "
          f"synchronous={settings.sqlite_synchronous}); load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores")
    print(f"  aiosmtpd Sink      : {sink_rate:8.0f} msg/s accepted   SMTP latency p50 "
          f"{1000 * statistics.median(sink_lat):6.1f} ms  p99 {1000 * percentile(sink_lat, 99):6.1f} ms"
          f"   server CPU {1000 * sink_cpu:5.2f} ms/msg")
    print(f"  santelab MSSanté   : {rate:8.0f} msg/s accepted+stored p50 "
          f"{1000 * statistics.median(lat):6.1f} ms  p99 {1000 * percentile(lat, 99):6.1f} ms"
          f"   server CPU {1000 * cpu:5.2f} ms/msg   ({rate / sink_rate:.2f} × Sink, "
          f"+{1000 * (cpu - sink_cpu):.2f} ms CPU/msg)")
    if probe_result:
        print(f"  send → visible in IMAP, under that load : p50 "
              f"{1000 * statistics.median(probe_result):6.1f} ms  p99 "
              f"{1000 * percentile(probe_result, 99):6.1f} ms  ({len(probe_result)} probes)")
    print(f"  send → visible in IMAP, idle server     : p50 "
          f"{1000 * statistics.median(quiet):6.1f} ms  p99 {1000 * percentile(quiet, 99):6.1f} ms"
          f"  ({len(quiet)} probes)")
    sandbox.store.dispose()


if __name__ == "__main__":
    main()
