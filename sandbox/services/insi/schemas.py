"""INSi request and answer shapes, shared by the router and the client (`s.insi`)."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from synthetic_data.nir import OID_INS_TEST

# The sandbox emits the TEST OID only (design.md: 1.2.250.1.213.1.4.10).
TEST_OID = OID_INS_TEST.removeprefix("urn:oid:")


# An INSEE place code: département (2A/2B for Corsica) + commune, or 99 + country.
_INSEE = r"^(?:[0-9]{2}|2A|2B)[0-9]{3}$"
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def ins_birth_date(value: object) -> str:
    """A birth date as the INSi writes it, "AAAA-MM-JJ" with 00 for an unknown day or month
    (a civil-status record may give the year alone: "1950-00-00"); the ValueError names what
    is wrong, in French."""
    text = value.isoformat() if isinstance(value, date) else str(value).strip()
    found = _DATE.match(text)
    if found is None:
        raise ValueError(f"date de naissance « {text} » mal formée : AAAA-MM-JJ attendu, avec 00 "
                         "pour un jour ou un mois inconnu (1950-00-00 si seule l'année est connue)")
    year, month, day = (int(part) for part in found.groups())
    if month > 12:
        raise ValueError(f"mois de naissance « {month:02d} » impossible : 01 à 12, ou 00 s'il est "
                         "inconnu (un mois fictif 20 à 42 ou 50 à 99 n'existe que dans le matricule)")
    if month == 0 and day != 0:
        raise ValueError("jour de naissance connu mais mois inconnu : écrivez aussi le jour à 00 "
                         f"({year:04d}-00-00)")
    try:
        date(year, month or 1, day or 1)
    except ValueError:
        raise ValueError(f"date de naissance « {text} » inexistante au calendrier") from None
    return text


class Traits(BaseModel):
    """Strict traits (traits INS) as read on the identity document."""

    model_config = ConfigDict(extra="forbid")

    nom_naissance: str = Field(min_length=1, max_length=100, description="Nom de naissance")
    prenoms: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        min_length=1, max_length=10,
        description="Prénoms de naissance, dans l'ordre (le premier seul est accepté)")
    sexe: Literal["F", "M"]
    date_naissance: str = Field(
        description="Date de naissance AAAA-MM-JJ (00 pour un jour ou un mois inconnu)")
    lieu_naissance: str | None = Field(
        None, pattern=_INSEE,
        description="Code INSEE du lieu de naissance en vigueur à la date de naissance "
                    "(commune, ou 99xxx à l'étranger)")

    _birth_date = field_validator("date_naissance", mode="before")(ins_birth_date)


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
    date_naissance: str  # AAAA-MM-JJ, 00 for an unknown day or month
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

