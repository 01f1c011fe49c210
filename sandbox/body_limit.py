"""Every HTTP request body bounded (`max_body_bytes`): a 413 with a French OperationOutcome.

A declared Content-Length above the limit is refused before anything is read; a chunked (or
lying) body is counted as it arrives and refused as soon as it passes the limit, so no route
ever buffers more than the limit.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandbox.errors import operation_outcome, outcome_response


class BodyTooLarge(HTTPException):
    """Raised from `receive`: FastAPI lets an HTTPException through its body parsing."""

    def __init__(self, limit: int):
        super().__init__(413, too_large(limit))


def too_large(limit: int) -> str:
    return (f"Requête trop volumineuse : le bac à sable accepte au plus {limit} octets par "
            "requête (réglage max_body_bytes) ; envoyez un contenu plus petit.")


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, limit: int):
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.limit:
            response = outcome_response(413, operation_outcome(too_large(self.limit),
                                                               code="too-costly"),
                                        {"Connection": "close"})
            await response(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        await self.app(scope, counted, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # uvicorn refuses a malformed length itself
    return None
