"""The local fork servers: launched once, alive as long as the grading run needs them."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import psutil
import pytest

from santelab.grading.local import LocalHosts
from santelab.grading.settings import WORKER_MEMORY, GradingSettings, default_workers
from synthetic_data.errors import SantelabError


def test_servers_outlive_the_threads_that_use_them(bwrap) -> None:
    """bubblewrap kills its sandbox when the thread that started it ends: the servers are
    launched from the caller's thread, and the workers (pool threads that come and go) only
    wait for them, so each is started once and still serves once its first worker is gone."""
    settings = GradingSettings(isolation="bubblewrap", preload=[], warmup=[], populations=[])
    hosts = LocalHosts(settings, None, {})
    try:
        hosts.start(2)
        launched = [host.process.pid for host in hosts.hosts]

        def first_use(host):
            host.wait_ready()
            host.ensure()
            return host.request("poll", pid=1)  # no such kernel: -1

        for _ in range(2):  # a pool whose threads end, then another one
            with ThreadPoolExecutor(max_workers=2) as pool:
                assert list(pool.map(first_use, hosts.hosts)) == [-1, -1]
        assert [host.process.pid for host in hosts.hosts] == launched
        assert all(host.alive() for host in hosts.hosts)
    finally:
        hosts.close()
    assert hosts.hosts == []


def test_a_server_that_cannot_start_stops_the_command_in_french(bwrap, tmp_path) -> None:
    settings = GradingSettings(isolation="bubblewrap", preload=[], warmup=[], populations=[])
    hosts = LocalHosts(settings, tmp_path / "absent" / "templates", {})  # bwrap cannot bind it
    try:
        with pytest.raises(SantelabError, match="le serveur de noyaux du poste 0 n'a pas démarré"):
            hosts.start(2)
        with pytest.raises(SantelabError, match="poste 1 n'a pas démarré"):
            hosts.hosts[1].wait_ready()
        assert not any(host.alive() for host in hosts.hosts)
    finally:
        hosts.close()


@pytest.mark.parametrize(("cores", "free_workers", "expected"), [
    (2, 100, 4),  # two a core
    (8, 5.5, 5),  # as many as the free memory holds
    (4, 0.2, 1),  # always one
])
def test_default_workers_follow_cores_and_free_memory(monkeypatch, cores, free_workers,
                                                      expected) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)))
    memory = SimpleNamespace(available=int(free_workers * WORKER_MEMORY))
    monkeypatch.setattr(psutil, "virtual_memory", lambda: memory)
    assert default_workers() == expected
    assert GradingSettings().workers is None  # the command resolves it, once
