"""The one store: SQLAlchemy over a SQLite file (default) or PostgreSQL (by URL)."""

from sandbox.store.base import Base, TenantMixin
from sandbox.store.db import Store

__all__ = ["Base", "Store", "TenantMixin"]
