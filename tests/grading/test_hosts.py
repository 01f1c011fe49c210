"""The local fork servers: launched once, alive as long as the grading run needs them."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from santelab.grading.local import LocalHosts
from santelab.grading.settings import GradingSettings


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
