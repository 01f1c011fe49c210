"""The router class of a service: its sync routes end their transaction by the commit path."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter

from sandbox.transactions import committing


class ServiceRouter(APIRouter):
    """The router of a service: its sync routes commit on their own thread (`committing`)."""

    def add_api_route(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().add_api_route(path, committing(endpoint), **kwargs)
