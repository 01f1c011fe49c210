"""The DPI's tables: care units, stays (an inpatient in a bed), medication orders, the
nurses' administration records, and the unit's shared files."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from sandbox.store.base import Base, JsonType, TenantMixin, UtcDateTime


class DpiUnit(TenantMixin, Base):
    __tablename__ = "dpi_units"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))


class DpiStay(TenantMixin, Base):
    """An inpatient of a unit, with the identity traits the capsule prints (INS included)."""

    __tablename__ = "dpi_stays"
    __table_args__ = (Index("ix_dpi_stays_unit", "tenant", "unit"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    unit: Mapped[str] = mapped_column(String(16))
    bed: Mapped[str] = mapped_column(String(8))
    patient_id: Mapped[str] = mapped_column(String(64))
    ins: Mapped[str | None] = mapped_column(String(15), default=None)
    birth_name: Mapped[str] = mapped_column(String(256))
    given_names: Mapped[str] = mapped_column(String(512))
    sex: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[date] = mapped_column(Date)
    allergies: Mapped[list] = mapped_column(JsonType, default=list)


class DpiOrder(TenantMixin, Base):
    """An active medication order: a drug, a dose and its times of day (Paris time)."""

    __tablename__ = "dpi_orders"
    __table_args__ = (Index("ix_dpi_orders_stay", "tenant", "stay_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    stay_id: Mapped[str] = mapped_column(String(32))
    drug: Mapped[str] = mapped_column(String(256))
    atc: Mapped[str] = mapped_column(String(16))
    dose: Mapped[str] = mapped_column(String(128))
    times: Mapped[list] = mapped_column(JsonType)  # ["08:00", "20:00"]
    prescriber_id: Mapped[str] = mapped_column(String(64))


class DpiAdministration(TenantMixin, Base):
    """One dose given, not given or refused, by whom and when; entered in the DPI or re-entered
    from a paper form (`form_id`, `form_line`)."""

    __tablename__ = "dpi_administrations"
    __table_args__ = (Index("ix_dpi_adm_order", "tenant", "order_id"),
                      Index("ix_dpi_adm_form", "tenant", "form_id"))

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(32))
    stay_id: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))  # administre / non_administre / refuse
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    dose: Mapped[str] = mapped_column(String(128))
    nurse: Mapped[str] = mapped_column(String(128))
    entered_by: Mapped[str] = mapped_column(String(128))
    source: Mapped[str] = mapped_column(String(8))  # dpi / papier
    form_id: Mapped[str | None] = mapped_column(String(32), default=None)
    form_line: Mapped[int | None] = mapped_column(Integer, default=None)
    comment: Mapped[str] = mapped_column(String(512), default="")


class SharedFile(TenantMixin, Base):
    """A document of the unit's shared folder, and its backup (what a restoration puts back)."""

    __tablename__ = "dpi_shared_files"

    name: Mapped[str] = mapped_column(String(256), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    backup: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    original_name: Mapped[str | None] = mapped_column(String(256), default=None)
    encrypted: Mapped[bool] = mapped_column(Boolean, default=False)
    ransom_note: Mapped[bool] = mapped_column(Boolean, default=False)
