"""Sandbox settings: command-line options override SANTELAB_* environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

# The persona password of the embedded local sandbox (SQLite on loopback): public by design,
# printed by `sandbox up` and in the README. A shared or PostgreSQL sandbox refuses it.
PUBLIC_PERSONA_PASSWORD = "bac-a-sable"


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
    # MSSanté submission limits, the same on every route (SMTP SIZE and DATA, HTTP, IMAP):
    # a message's size in bytes, and the recipients one transaction may name (refused and
    # repeated ones count too, so a client cannot make the server check thousands).
    mail_max_bytes: int = 10 * 1024 * 1024
    mail_max_recipients: int = 100
    host: str = "127.0.0.1"
    port: int = 8400
    smtp_port: int = 2525
    imap_port: int = 1143
    # IMAP limits: a literal string (a SEARCH text, a password) read into memory, the depth of
    # parenthesised arguments, and how often IDLE looks for new mail.
    imap_max_literal_bytes: int = 65536
    imap_max_nesting: int = 32
    imap_idle_poll_seconds: float = 1.0
    # Signs bearer tokens. Empty: generated at the store's first start and kept in it (table
    # deployment_secrets), so no two deployments accept each other's tokens.
    secret: str = ""
    token_ttl_seconds: int = 8 * 3600
    # One password for the personas of a tenant; the public default only for a local sandbox.
    persona_password: str = PUBLIC_PERSONA_PASSWORD
    # The facilitator's, never the personas' one. Empty: generated and kept in the store (local
    # sandbox only: a shared or PostgreSQL sandbox must be given it).
    facilitator_password: str = ""
    # Base of the links the sandbox writes into mails (trap links); empty: http://host:port.
    public_url: str = ""
    max_body_bytes: int = 20 * 2**20  # any HTTP request body; larger ones get a 413
    # Failed logins, all protocols (sandbox/login_throttle.py): free failures per account and
    # per address, then a doubling wait up to the maximum; counts forgotten after the window.
    login_free_failures: int = 5
    login_free_failures_per_address: int = 50
    login_window_seconds: int = 900
    login_max_delay_seconds: int = 300
    login_tracked_max: int = 10_000  # accounts (and addresses) remembered at most
    # A class (deploy/jupyterhub/): when set, each tenant has its own persona password derived
    # from this key (the public one is then never accepted), and a tenant is seeded on its
    # first login (sandbox/classroom.py).
    class_key: str = ""
    # The class's students (comma-separated tenants), seeded as soon as the sandbox starts.
    class_tenants: str = ""

    @property
    def db_url(self) -> str:
        return self.db or f"sqlite:///{self.data_dir / 'sandbox.sqlite'}"

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")
