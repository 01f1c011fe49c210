"""The national identity base INSi answers from: one row per identity that has an INS."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from sandbox.store.base import Base, TenantMixin


class NationalIdentity(TenantMixin, Base):
    """Traits as the national base (RNIPP/SNGI) holds them, normalised as INSi returns them."""

    __tablename__ = "insi_identities"
    __table_args__ = (
        Index("ix_insi_traits", "tenant", "birth_name", "birth_date"),
        Index("ix_insi_vitale", "tenant", "vitale"),
    )

    matricule: Mapped[str] = mapped_column(String(15), primary_key=True)
    oid: Mapped[str] = mapped_column(String(64))
    birth_name: Mapped[str] = mapped_column(String(256))  # normalised (upper, no accents)
    given_names: Mapped[str] = mapped_column(String(512))  # normalised, space-separated
    sex: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[date] = mapped_column(Date)
    birthplace: Mapped[str] = mapped_column(String(5))  # INSEE code (commune or 99xxx)
    vitale: Mapped[str | None] = mapped_column(String(32), default=None)
    patient_id: Mapped[str] = mapped_column(String(64))  # ground truth link (not returned)
