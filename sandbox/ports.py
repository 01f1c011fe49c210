"""Loopback ports: a free one for servers started on demand, and a French error naming the
option to change when the port asked for is taken."""

from __future__ import annotations

import socket

from synthetic_data.errors import SantelabError


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def check_free(host: str, port: int, option: str, service: str = "") -> None:
    """Refuse, in French, a port already taken on `host` before a server fails on it."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            for_service = f" pour {service}" if service else ""
            raise SantelabError(
                f"impossible d'écouter sur {host}:{port}{for_service} ({exc.strerror}) : "
                f"choisissez un autre port avec {option}.") from exc
