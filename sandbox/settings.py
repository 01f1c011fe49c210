"""Sandbox settings: command-line options override SANTELAB_* environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    return Path.home() / ".local" / "share" / "santelab"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SANTELAB_")

    db: str = ""  # SQLAlchemy URL; empty means a SQLite file in data_dir
    # SQLite durability. NORMAL (WAL): a commit survives a crash or SIGKILL of the sandbox;
    # a power cut may lose the last ones. FULL also fsyncs every commit: ~7 ms each on these
    # machines, which caps a sandbox at ~140 writes/s (every request writes an event).
    sqlite_synchronous: Literal["NORMAL", "FULL"] = "NORMAL"
    data_dir: Path = default_data_dir()
    tenant: str = "demo"
    seed: int = 42
    patients: int = 200  # size of the population a tenant is seeded with
    host: str = "127.0.0.1"
    port: int = 8400
    smtp_port: int = 2525
    imap_port: int = 1143
    # IMAP limits: a literal string (a SEARCH text, a password) read into memory, the depth of
    # parenthesised arguments, and how often IDLE looks for new mail.
    imap_max_literal_bytes: int = 65536
    imap_max_nesting: int = 32
    imap_idle_poll_seconds: float = 1.0
    # Signs bearer tokens. A training sandbox: the default is public and documented as such.
    secret: str = "santelab-bac-a-sable-non-confidentiel"
    token_ttl_seconds: int = 8 * 3600
    # One password for every persona of a tenant (a training sandbox: public by design).
    persona_password: str = "bac-a-sable"
    # A class (deploy/jupyterhub/): when set, each tenant has its own persona password derived
    # from this key, and a tenant is seeded on its first login (sandbox/classroom.py).
    class_key: str = ""

    @property
    def db_url(self) -> str:
        return self.db or f"sqlite:///{self.data_dir / 'sandbox.sqlite'}"
