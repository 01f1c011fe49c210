"""Personas: the people of a tenant who can log in (a Pro Santé Connect stand-in)."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from sandbox.store.base import Base, TenantMixin


class PersonaRow(TenantMixin, Base):
    __tablename__ = "personas"

    login: Mapped[str] = mapped_column(String(128), primary_key=True)
    role: Mapped[str] = mapped_column(String(32))  # a role of the access matrix
    display_name: Mapped[str] = mapped_column(String(256))
    password_hash: Mapped[str] = mapped_column(String(256))
    practitioner_id: Mapped[str | None] = mapped_column(String(64), default=None)
    patient_id: Mapped[str | None] = mapped_column(String(64), default=None)
    mailbox: Mapped[str | None] = mapped_column(String(256), default=None)  # MSSanté address
