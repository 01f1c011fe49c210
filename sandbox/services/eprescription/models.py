"""E-prescription tables: a prescription (unique number, QR claim), its lines, its dispensings.

Dispensed quantities live on the line and only move through a conditional UPDATE (never more
than prescribed), and the QR claim through another (one pharmacy only): both stay right under
concurrent requests on SQLite and PostgreSQL alike, without locks held across requests.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sandbox.store.base import Base, TenantMixin, UtcDateTime


class ErxPrescriptionRow(TenantMixin, Base):
    __tablename__ = "erx_prescriptions"
    __table_args__ = (
        # An Idempotency-Key belongs to its caller: two prescribers may use the same one.
        UniqueConstraint("tenant", "prescriber_login", "idempotency_key",
                         name="uq_erx_idempotency"),
        Index("ix_erx_patient", "tenant", "patient_id"),
    )

    number: Mapped[str] = mapped_column(String(16), primary_key=True)  # without separators
    patient_id: Mapped[str] = mapped_column(String(64))
    ins: Mapped[str] = mapped_column(String(15))
    prescriber_id: Mapped[str | None] = mapped_column(String(64))  # Practitioner id
    prescriber_login: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(24))  # active|partially-dispensed|completed|cancelled
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(128), default=None)  # pharmacist login
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    cancel_reason: Mapped[str | None] = mapped_column(String(512), default=None)
    note: Mapped[str | None] = mapped_column(String(1024), default=None)
    idempotency_key: Mapped[str | None] = mapped_column(String(128), default=None)
    # sha256 of the request that used the key: a replay must send the same body.
    idempotency_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    dmp_document_id: Mapped[str | None] = mapped_column(String(64), default=None)
    dmp_filing: Mapped[str | None] = mapped_column(String(24), default=None)  # DMP_FILING key


class ErxLineRow(TenantMixin, Base):
    __tablename__ = "erx_lines"

    number: Mapped[str] = mapped_column(String(16), primary_key=True)
    line: Mapped[int] = mapped_column(Integer, primary_key=True)  # 1-based
    atc: Mapped[str | None] = mapped_column(String(8))
    drug: Mapped[str] = mapped_column(String(256))
    dosage: Mapped[str] = mapped_column(String(512))
    quantity: Mapped[int] = mapped_column(Integer)  # boxes (or units) prescribed
    duration_days: Mapped[int] = mapped_column(Integer)
    dispensed: Mapped[int] = mapped_column(Integer, default=0)


class ErxDispenseRow(TenantMixin, Base):
    """One dispensing act (a MedicationDispense): which line, how much, by whom, when."""

    __tablename__ = "erx_dispenses"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    number: Mapped[str] = mapped_column(String(16))
    line: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)
    pharmacist: Mapped[str] = mapped_column(String(128))  # login
    pharmacist_id: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
