"""One table for the directory's three resource types, with folded search columns."""

from __future__ import annotations

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from sandbox.store.base import Base, JsonType, TenantMixin


class DirectoryEntry(TenantMixin, Base):
    """A Practitioner, PractitionerRole or Organization and what it is searched by.

    Search columns hold folded text (`sandbox.fhir.words`) so that FHIR string search runs as
    SQL `LIKE` on an index instead of parsing every resource.
    """

    __tablename__ = "annuaire_entries"
    __table_args__ = (
        Index("ix_annuaire_type_rpps", "tenant", "resource_type", "rpps"),
        Index("ix_annuaire_type_finess", "tenant", "resource_type", "finess"),
        Index("ix_annuaire_type_postal", "tenant", "resource_type", "postal_code"),
    )

    resource_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    names: Mapped[str] = mapped_column(String(512), default=" ")  # folded words of the names
    family: Mapped[str] = mapped_column(String(256), default=" ")
    given: Mapped[str] = mapped_column(String(256), default=" ")
    rpps: Mapped[str | None] = mapped_column(String(11), default=None)
    id_nat: Mapped[str | None] = mapped_column(String(32), default=None)  # idNatPs / idNatSt
    finess: Mapped[str | None] = mapped_column(String(9), default=None)
    profession: Mapped[str | None] = mapped_column(String(8), default=None)  # TRE_G15
    specialty: Mapped[str | None] = mapped_column(String(8), default=None)  # TRE_R38
    kind: Mapped[str | None] = mapped_column(String(32), default=None)  # establishment type
    city: Mapped[str] = mapped_column(String(256), default=" ")  # folded words of the commune
    postal_code: Mapped[str | None] = mapped_column(String(5), default=None)
    insee: Mapped[str | None] = mapped_column(String(5), default=None)
    organization_id: Mapped[str | None] = mapped_column(String(64), default=None)
    practitioner_id: Mapped[str | None] = mapped_column(String(64), default=None)
    email: Mapped[str | None] = mapped_column(String(256), default=None)  # MSSanté address
    resource: Mapped[dict] = mapped_column(JsonType)
