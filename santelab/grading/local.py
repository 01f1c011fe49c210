"""The default place kernels run: one KernelHost (fork server) per worker thread."""

from __future__ import annotations

import atexit
import shutil
import threading
from pathlib import Path

from santelab.grading import pipeline
from santelab.grading.host import HostConfig, KernelHost, exchange_root


class LocalHosts:
    """Gives each worker thread its own host, and stops them all at the end."""

    def __init__(self, settings, templates: Path | None, execute_config: dict):
        self.settings = settings
        self.templates = templates
        self.execute_config = execute_config
        self.root = exchange_root()
        self.hosts: list[KernelHost] = []
        self.lock = threading.Lock()
        atexit.register(self.close)

    def start(self, count: int) -> None:
        """Start `count` hosts at once (their preloading overlaps)."""
        hosts = [KernelHost(HostConfig(self.settings, i, self.templates), self.root)
                 for i in range(count)]
        threads = [threading.Thread(target=h.start) for h in hosts]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.hosts = hosts
        for host in hosts:
            host.ensure()  # raises, in French, if one did not start

    def factory(self):
        """For Runner: each call hands one free host to the calling thread."""
        with self.lock:
            host = self.hosts[len(getattr(self, "_given", []))]
            self._given = [*getattr(self, "_given", []), host]

        def execute(nb, resources):
            host.ensure()
            return pipeline.execute(nb, resources, host, self.execute_config)

        return execute

    def close(self) -> None:
        for host in self.hosts:
            host.stop()
        self.hosts = []
        shutil.rmtree(self.root, ignore_errors=True)
