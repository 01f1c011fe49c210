"""Declarative base shared by every service's tables.

Every row belongs to a tenant (a class or an establishment): tenant is part of each primary
key, so ids never collide across tenants and every query must name its tenant.
"""

from __future__ import annotations

from sqlalchemy import JSON, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# JSONB on PostgreSQL (indexable), plain JSON text on SQLite.
JsonType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    pass


class TenantMixin:
    # sort_order: mixin columns would otherwise come last, making the primary key
    # (…, tenant) and `session.get(Row, (tenant, …))` silently miss.
    tenant: Mapped[str] = mapped_column(String(64), primary_key=True, sort_order=-1)
