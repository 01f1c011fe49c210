"""INSi request and answer shapes, shared by the router and the client (`s.insi`)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from synthetic_data.nir import OID_INS_TEST

# The sandbox emits the TEST OID only (design.md: 1.2.250.1.213.1.4.10).
TEST_OID = OID_INS_TEST.removeprefix("urn:oid:")


# An INSEE place code: département (2A/2B for Corsica) + commune, or 99 + country.
_INSEE = r"^(?:[0-9]{2}|2A|2B)[0-9]{3}$"


class Traits(BaseModel):
    """Strict traits (traits INS) as read on the identity document."""

    model_config = ConfigDict(extra="forbid")

    nom_naissance: str = Field(min_length=1, max_length=100, description="Nom de naissance")
    prenoms: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        min_length=1, max_length=10,
        description="Prénoms de naissance, dans l'ordre (le premier seul est accepté)")
    sexe: Literal["F", "M"]
    date_naissance: date
    lieu_naissance: str | None = Field(
        None, pattern=_INSEE,
        description="Code INSEE du lieu de naissance (commune, ou 99xxx à l'étranger)")


class RechercheVitale(BaseModel):
    model_config = ConfigDict(extra="forbid")

    numero_carte: str = Field(pattern=r"^[0-9]{10}$",
                              description="Numéro de série de la carte Vitale (fictive)")


class Verification(Traits):
    matricule: str = Field(pattern=r"^[12][0-9]{4}(?:[0-9]{2}|2A|2B)[0-9]{8}$",
                           description="Matricule INS (15 caractères, clé comprise)")
    oid: str = Field(TEST_OID, max_length=64, description="OID de l'autorité d'affectation")


class Identite(BaseModel):
    matricule: str
    oid: str
    nom_naissance: str
    prenoms: list[str]
    premier_prenom: str
    sexe: Literal["F", "M"]
    date_naissance: date
    lieu_naissance: str


class ReponseRecuperation(BaseModel):
    code_retour: Literal["00", "01", "02"]
    libelle: str
    identite: Identite | None = None
    conseil: str | None = None


class ReponseVerification(BaseModel):
    code_retour: Literal["00", "01", "02"]
    libelle: str
    conforme: bool
    ecarts: list[str] = Field(default_factory=list, description="Traits discordants")

