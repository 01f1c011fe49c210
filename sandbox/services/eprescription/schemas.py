"""The e-prescription's request and answer shapes, shared by its router and its client.

Pydantic only (no FastAPI, no store): `sandbox.client` loads this module, not the service.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

STATUS_LABELS = {
    "active": "active (à délivrer)",
    "partially-dispensed": "partiellement délivrée",
    "completed": "entièrement délivrée",
    "cancelled": "annulée par le prescripteur",
}
# What became of the DMP copy of the ordonnance (stored key -> French label).
DMP_FILING = {
    "depose": "déposée dans le DMP du patient",
    "dmp_ferme": "non déposée : le patient a fermé son DMP",
    "dmp_indisponible": "non déposée : DMP indisponible au moment de la prescription "
                        "(le prescripteur la verse au retour du DMP : POST …/versement-dmp)",
}
_ATC = re.compile(r"^[A-Z]\d{2}[A-Z]{2}\d{2}$")
MAX_LINES = 20  # lines of one prescription; a line number beyond is refused before any query


class LineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    medicament: str = Field(min_length=2, max_length=256,
                            description="Dénomination (DCI ou nom commercial) et dosage")
    atc: str | None = Field(None, description="Code ATC (niveau 5, ex. A10BA02)")
    posologie: str = Field(min_length=2, max_length=512, description="Posologie en clair")
    quantite: int = Field(ge=1, le=100, description="Nombre de boîtes (ou unités) à délivrer")
    duree_jours: int = Field(ge=1, le=365, description="Durée du traitement en jours")

    @field_validator("atc")
    @classmethod
    def _atc_shape(cls, value: str | None) -> str | None:
        if value is not None and not _ATC.match(value.upper()):
            raise ValueError(f"code ATC « {value} » mal formé (7 caractères, ex. A10BA02)")
        return value.upper() if value else None


class PrescriptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    patient: str = Field(description="INS qualifiée du patient (ou urn:oid:1.2.250.1.213.1.4.10|INS)")
    lignes: list[LineIn] = Field(min_length=1, max_length=MAX_LINES)
    note: str | None = Field(None, max_length=1024)


class LineOut(BaseModel):
    ligne: int
    medicament: str
    atc: str | None
    posologie: str
    quantite: int
    duree_jours: int
    delivre: int
    reste: int


class DispenseOut(BaseModel):
    id: str
    ligne: int
    quantite: int
    pharmacien: str
    date: datetime


class PrescriptionOut(BaseModel):
    numero: str
    qr: str = Field(description="Contenu du QR code (usage unique)")
    patient: str
    ins: str
    prescripteur: str
    statut: Literal["active", "partially-dispensed", "completed", "cancelled"]
    statut_libelle: str
    date: datetime
    officine: str | None = Field(description="Pharmacien qui a scanné l'ordonnance")
    motif_annulation: str | None
    note: str | None
    document_dmp: str | None = Field(
        description="DocumentReference de l'ordonnance déposée dans le DMP (vide si non déposée)")
    versement_dmp: str = Field(description="Ce qu'est devenue la copie DMP de l'ordonnance")
    lignes: list[LineOut]
    delivrances: list[DispenseOut]


class ScanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=128, description="Contenu du QR code ou numéro")


class DispenseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ligne: int = Field(ge=1, le=MAX_LINES, description="Numéro de la ligne de prescription")
    quantite: int = Field(ge=1, le=100, description="Quantité délivrée maintenant")


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    motif: str | None = Field(None, max_length=512)
