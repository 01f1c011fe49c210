"""DMP tables: the patient's record (Mon espace santé), its consent choices, documents, contents.

The DMP is indexed by the patient's qualified INS: `DmpPatientRow` is the DMP's view of an
identity (seeded from the population), so the service answers "unknown INS" and "INS not
qualified" on its own. A document row keeps the searchable metadata in columns and the
DocumentReference exactly as served in `resource`; its content lives in a `DmpBinaryRow`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sandbox.store.base import Base, JsonType, TenantMixin, UtcDateTime


class DmpPatientRow(TenantMixin, Base):
    """One person known to the DMP: identity status, médecin traitant, her choices on the whole DMP
    (opposition, advance refusal of break-glass)."""

    __tablename__ = "dmp_patients"
    __table_args__ = (UniqueConstraint("tenant", "ins", name="uq_dmp_patients_ins"),)

    patient_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    ins: Mapped[str | None] = mapped_column(String(15))  # matricule; None for a provisional identity
    identity_status: Mapped[str] = mapped_column(String(8))  # PROV, RECUP, VALI, QUAL
    family: Mapped[str] = mapped_column(String(128))
    given: Mapped[str] = mapped_column(String(128))
    birth_date: Mapped[str] = mapped_column(String(10))
    gp_id: Mapped[str | None] = mapped_column(String(64), default=None)  # médecin traitant
    # The patient closed / opposed the DMP (with a legitimate reason): nobody reads or feeds it.
    opposed: Mapped[bool] = mapped_column(Boolean, default=False)
    opposition_reason: Mapped[str | None] = mapped_column(String(512), default=None)
    # The patient refused in advance any emergency ("bris de glace") access to her DMP.
    break_glass_refused: Mapped[bool] = mapped_column(Boolean, default=False)


class DmpAccessRow(TenantMixin, Base):
    """A patient's choice about one professional: "autorise" (joins the care team) or "oppose"."""

    __tablename__ = "dmp_access"

    patient_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    practitioner_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    decision: Mapped[str] = mapped_column(String(16))  # autorise | oppose
    at: Mapped[datetime] = mapped_column(UtcDateTime)


class DmpDocumentRow(TenantMixin, Base):
    __tablename__ = "dmp_documents"
    __table_args__ = (
        # "None twice": one document per masterIdentifier (the XDS uniqueId) in a tenant.
        UniqueConstraint("tenant", "master_identifier", name="uq_dmp_documents_master"),
        Index("ix_dmp_documents_patient_date", "tenant", "patient_id", "date"),  # search pages
        # Covers a search's count: every column its conditions read, so the count never reads
        # the rows (each holds its whole resource) and costs the same at 10 or 400 documents.
        Index("ix_dmp_documents_search", "tenant", "patient_id", "status", "archived", "date",
              "class_code", "type_code", "author_id", "confidentiality"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    master_identifier: Mapped[str] = mapped_column(String(256))
    patient_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(24))  # current | superseded | entered-in-error
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    type_code: Mapped[str] = mapped_column(String(16))  # LOINC
    class_code: Mapped[str] = mapped_column(String(8))  # J57
    confidentiality: Mapped[list] = mapped_column(JsonType, default=list)  # J58 / v3 codes
    format_code: Mapped[str] = mapped_column(String(128))
    author_id: Mapped[str | None] = mapped_column(String(64))  # Practitioner id
    date: Mapped[datetime] = mapped_column(UtcDateTime)
    binary_id: Mapped[str] = mapped_column(String(64))
    content_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the content (idempotency)
    replaces: Mapped[str | None] = mapped_column(String(64), default=None)
    version: Mapped[int] = mapped_column(Integer, default=1)
    resource: Mapped[dict] = mapped_column(JsonType)


class DmpBinaryRow(TenantMixin, Base):
    __tablename__ = "dmp_binaries"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    document_id: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(128))
    data: Mapped[bytes] = mapped_column(LargeBinary)
