"""The client's one transport: HTTP to a sandbox server, or the app served in-process.

Both paths go through the same `httpx.Client`; only its transport differs. In-process, the
FastAPI app runs on an event loop in a background thread (httpx's ASGI transport), so a
notebook without any server gets the real HTTP semantics: status codes, OperationOutcome
bodies, the access matrix and the event stream.

Service clients subclass `Resource`: `Resource(connection)` gives `_get/_post/_put/_delete`,
which return the decoded JSON body (or None) and raise typed `SandboxError`s.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx

from sandbox.client.errors import ConnectionFailed, error_for

DEFAULT_TIMEOUT = 30.0
IN_PROCESS_URL = "http://sandbox.local"  # the address the in-process app is served under


class InProcessTransport(httpx.BaseTransport):
    """Serve an ASGI app from a private event loop running in a daemon thread."""

    def __init__(self, app: Any):
        self._asgi = httpx.ASGITransport(app=app)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True,
                                        name="santelab-sandbox-inprocess")
        self._thread.start()

    async def _call(self, method: str, url: httpx.URL, headers: httpx.Headers,
                    content: bytes) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        request = httpx.Request(method, url, headers=headers, content=content)
        response = await self._asgi.handle_async_request(request)
        body = await response.aread()
        return response.status_code, response.headers.raw, body

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        content = request.read()
        future = asyncio.run_coroutine_threadsafe(
            self._call(request.method, request.url, request.headers, content), self._loop)
        status, headers, body = future.result()
        return httpx.Response(status, headers=headers, content=body)

    def close(self) -> None:
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)


class Transport:
    """Sends requests, decodes JSON and turns every error status into a typed exception."""

    def __init__(self, client: httpx.Client):
        self.client = client

    @classmethod
    def http(cls, url: str, *, timeout: float = DEFAULT_TIMEOUT) -> Transport:
        return cls(httpx.Client(base_url=url.rstrip("/"), timeout=timeout))

    @classmethod
    def in_process(cls, app: Any) -> Transport:
        return cls(httpx.Client(transport=InProcessTransport(app),
                                base_url=IN_PROCESS_URL, timeout=DEFAULT_TIMEOUT))

    def request(self, method: str, path: str, *, token: str | None = None,
                json: Any = None, params: Any = None, content: bytes | str | None = None,
                headers: dict[str, str] | None = None) -> httpx.Response:
        """The raw response of a successful request (2xx/3xx); a `SandboxError` otherwise."""
        all_headers = {"Accept": "application/fhir+json, application/json"}
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        all_headers.update(headers or {})
        try:
            response = self.client.request(method, path, json=json, params=params,
                                           content=content, headers=all_headers)
        except httpx.TransportError as exc:
            raise ConnectionFailed(
                f"Bac à sable injoignable ({self.client.base_url}) : {exc}. Vérifiez que "
                "« santelab sandbox up » tourne et l'adresse SANTELAB_URL.") from exc
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = None
            raise error_for(response.status_code, body, response.text[:200])
        return response

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    def close(self) -> None:
        self.client.close()


class Resource:
    """Base of the service clients (`s.insi`, `s.dmp`…): requests as the connection's persona."""

    def __init__(self, connection: Any):
        self._connection = connection

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._connection.transport.json(method, path, token=self._connection.token, **kwargs)

    def _raw(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self._connection.transport.request(method, path, token=self._connection.token,
                                               **kwargs)

    def _get(self, path: str, **kwargs: Any) -> Any:
        return self._request("GET", path, **kwargs)

    def _post(self, path: str, **kwargs: Any) -> Any:
        return self._request("POST", path, **kwargs)

    def _put(self, path: str, **kwargs: Any) -> Any:
        return self._request("PUT", path, **kwargs)

    def _delete(self, path: str, **kwargs: Any) -> Any:
        return self._request("DELETE", path, **kwargs)
