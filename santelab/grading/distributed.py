"""Kernels on Dask distributed workers (`santelab grade --scheduler tcp://…`).

The grader keeps everything that touches the gradebook (sanitize and autograde steps); only
the execution of a sanitized notebook travels, as JSON, to a worker, which runs it on a
kernel forked by its own KernelHost (one per worker thread, isolated the same way as locally)
and sends back the executed notebook and the incidents.
"""

from __future__ import annotations

import atexit
import shutil
import threading

import nbformat

from santelab.grading import pipeline
from santelab.grading.host import HostConfig, KernelHost, exchange_root
from santelab.grading.settings import GradingSettings

_LOCAL = threading.local()
_HOSTS: list[KernelHost] = []
_LOCK = threading.Lock()


def _host(settings: dict) -> KernelHost:
    """This worker thread's host, started on first use (and stopped when the worker exits)."""
    host = getattr(_LOCAL, "host", None)
    if host is None:
        from santelab.grading.command import sandbox_templates

        with _LOCK:
            index = len(_HOSTS)
            host = KernelHost(HostConfig(GradingSettings(**settings), index, sandbox_templates()),
                              exchange_root())
            _HOSTS.append(host)
            if index == 0:
                atexit.register(_stop_all)
        _LOCAL.host = host
    host.ensure()
    return host


def _stop_all() -> None:
    for host in _HOSTS:
        host.stop()
        shutil.rmtree(host.exchange.parent, ignore_errors=True)


def remote_execute(notebook: str, resources: dict, settings: dict, execute_config: dict
                   ) -> tuple[str, list[dict]]:
    """Run on a Dask worker: execute `notebook` (JSON text); (executed JSON, incidents)."""
    nb = nbformat.reads(notebook, as_version=4)
    nb, resources = pipeline.execute(nb, resources, _host(settings), execute_config)
    return nbformat.writes(nb), resources["santelab"]["incidents"]


def shipped_settings(settings: GradingSettings) -> dict:
    """The traits a worker needs, as plain values."""
    return {name: getattr(settings, name) for name in settings.trait_names(config=True)}


class DaskExecutors:
    """For Runner: each worker thread submits its notebooks to the Dask cluster."""

    def __init__(self, address: str, settings: GradingSettings, execute_config: dict):
        from distributed import Client

        self.client = Client(address, timeout=30)
        self.settings = shipped_settings(settings)
        self.execute_config = execute_config

    def slots(self) -> int:
        return max(1, sum(self.client.nthreads().values()))

    def factory(self):
        def execute(nb, resources):
            shipped = {k: v for k, v in resources.items() if k in ("metadata", "nbgrader",
                                                                    "santelab")}
            future = self.client.submit(remote_execute, nbformat.writes(nb), shipped,
                                        self.settings, self.execute_config, pure=False)
            text, incidents = future.result()
            resources["santelab"]["incidents"] = incidents
            return nbformat.reads(text, as_version=4), resources

        return execute

    def close(self) -> None:
        self.client.close()
