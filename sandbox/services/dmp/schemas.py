"""DMP shapes outside FHIR (consent, break-glass alerts), shared by the router and the client."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Alert(BaseModel):
    """A "bris de glace" access the patient is told about."""

    at: datetime
    professionnel: str | None
    role: str | None
    motif: str
    cible: str | None


class ConsentChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["autoriser", "opposer", "lever", "refuser_bris_de_glace",
                      "accepter_bris_de_glace"] = Field(
        description="autoriser un professionnel (il rejoint l'équipe de soins), s'opposer à un "
                    "professionnel ou au DMP entier, lever une décision ; refuser par avance "
                    "tout accès en urgence (bris de glace), ou l'accepter de nouveau")
    professionnel: str | None = Field(None, max_length=64,
                                      description="Identifiant du professionnel ; vide = tout le DMP")
    motif: str | None = Field(None, max_length=512,
                              description="Motif légitime, obligatoire pour s'opposer au DMP entier")


class ConsentState(BaseModel):
    patient: str
    ins: str | None
    medecin_traitant: str | None
    dmp_ferme: bool
    motif_opposition: str | None
    bris_de_glace_refuse: bool
    autorises: list[str]
    opposes: list[str]

