"""A real uvicorn server on a free loopback port, in a thread of the test process.

Shared by the sandbox fixtures, the DMP world tests and the OpenAPI fuzzing (importable:
tests/sandbox is on sys.path). Readiness is the server's own `started` flag, not a delay.
"""

from __future__ import annotations

import threading
import time

import httpx
import uvicorn
from fixtures.personas import persona_client, persona_token
from sandbox_helpers import TENANT

from sandbox.app import create_app
from sandbox.ports import free_port
from sandbox.runtime import Sandbox


class LiveServer:
    """`create_app(sandbox)` served by uvicorn; `with LiveServer(s) as server:` or start/stop."""

    def __init__(self, sandbox: Sandbox):
        self.sandbox = sandbox
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(create_app(sandbox), host="127.0.0.1", port=self.port,
                                log_level="warning", access_log=False,
                                limit_concurrency=1000, backlog=2048)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def token(self, login: str, tenant: str = TENANT) -> str:
        return persona_token(self.url, login, tenant)

    def http(self, login: str | None = None, tenant: str = TENANT) -> httpx.Client:
        return persona_client(self.url, login, tenant)
