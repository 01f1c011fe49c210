"""Pages served behind a reverse proxy on the same machine (JupyterLab's server proxy, in the
student's lab, on Binder and on a JupyterHub) live under a path prefix the sandbox does not
see: the proxy strips it and says it in `X-Forwarded-Prefix`. Taken as the ASGI root path, it
puts the prefix back into the links the sandbox writes (the API docs' OpenAPI URL, FHIR paging
links), so the browser's next request goes through the proxy again.

Only a loopback peer is believed (the proxy runs beside the sandbox), and only a plain path.
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Receive, Scope, Send

_PREFIX = re.compile(r"(/[A-Za-z0-9._~-]+)+")
_LOOPBACK = ("127.0.0.1", "::1")


class ProxyPrefixMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (scope.get("client") or ("",))[0] in _LOOPBACK:
            for name, value in scope["headers"]:
                if name == b"x-forwarded-prefix":
                    prefix = value.decode("latin-1").rstrip("/")
                    if _PREFIX.fullmatch(prefix):
                        scope = {**scope, "root_path": scope.get("root_path", "") + prefix}
                    break
        await self.app(scope, receive, send)
