"""Secrets of one deployment (not of a tenant): kept in its store, never in code or settings."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from sandbox.store.base import Base


class DeploymentSecretRow(Base):
    __tablename__ = "deployment_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(256))
