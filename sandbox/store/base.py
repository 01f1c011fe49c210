"""Declarative base shared by every service's tables.

Every row belongs to a tenant (a class or an establishment): tenant is part of each primary
key, so ids never collide across tenants and every query must name its tenant.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, DateTime, String, TypeDecorator
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# JSONB on PostgreSQL (indexable), plain JSON text on SQLite.
JsonType = JSON().with_variant(JSONB(), "postgresql")


class UtcDateTime(TypeDecorator):
    """A moment stored in UTC and always read back aware, in UTC, on every backend.

    SQLite keeps no time zone: a plain DateTime(timezone=True) comes back naive there and
    aware from PostgreSQL, so answers differed (`…T10:00:00` against `…T10:00:00Z`).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None or value.tzinfo is None:
            return value  # naive moments are UTC by the store's convention
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class TenantMixin:
    # sort_order: mixin columns would otherwise come last, making the primary key
    # (…, tenant) and `session.get(Row, (tenant, …))` silently miss.
    tenant: Mapped[str] = mapped_column(String(64), primary_key=True, sort_order=-1)
