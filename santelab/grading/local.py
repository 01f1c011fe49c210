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
        self.given = 0
        self.lock = threading.Lock()
        atexit.register(self.close)

    def start(self, count: int) -> None:
        """Launch `count` hosts at once, from this thread (it outlives them: see
        `KernelHost.launch`), and wait for the first one only: a server that cannot start
        at all stops the command, in French, before anything is graded; the other workers
        wait for their own host as they begin."""
        self.hosts = [KernelHost(HostConfig(self.settings, i, self.templates), self.root)
                      for i in range(count)]
        for host in self.hosts:
            host.launch()
        self.hosts[0].wait_ready()

    def factory(self):
        """For Runner: each call hands one free host to the calling thread."""
        with self.lock:
            host = self.hosts[self.given]
            self.given += 1

        def execute(nb, resources):
            host.wait_ready()  # raises, in French, if it did not start
            host.ensure()
            return pipeline.execute(nb, resources, host, self.execute_config)

        return execute

    def close(self) -> None:
        for host in self.hosts:
            host.stop()
        self.hosts = []
        shutil.rmtree(self.root, ignore_errors=True)
