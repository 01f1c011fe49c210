"""DPI request and answer shapes, shared by the router and the client (`s.dpi`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Statut = Literal["administre", "non_administre", "refuse"]
MAX_FORM_LINES = 200


class Unite(BaseModel):
    code: str
    nom: str
    lits_occupes: int


class Patient(BaseModel):
    sejour: str
    unite: str
    lit: str
    patient: str
    ins: str | None
    nom_naissance: str
    prenoms: str
    sexe: str
    date_naissance: date
    allergies: list[str]


class Prescription(BaseModel):
    id: str
    sejour: str
    medicament: str
    atc: str
    dose: str
    horaires: list[str] = Field(description="Heures de prise (heure de Paris)")


class Administration(BaseModel):
    id: str
    prescription: str
    sejour: str
    statut: Statut
    heure: datetime
    prise_prevue: datetime
    dose: str
    infirmier: str
    saisi_par: str
    source: Literal["dpi", "papier"]
    formulaire: str | None = None
    ligne: int | None = None
    commentaire: str = ""


class NouvelleAdministration(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prescription: str = Field(max_length=32)
    statut: Statut = "administre"
    heure: datetime | None = Field(None, description="Par défaut : maintenant")
    dose: str | None = Field(None, max_length=128, description="Par défaut : dose prescrite")
    commentaire: str = Field("", max_length=512)


class LigneFormulaire(BaseModel):
    """One line of a paper administration form, as written during the outage."""

    model_config = ConfigDict(extra="forbid")

    prescription: str = Field(max_length=32, description="N° de prescription lu sur la capsule")
    patient: str = Field(max_length=64, description="INS ou n° de séjour du patient")
    medicament: str = Field(max_length=256)
    dose: str = Field(max_length=128)
    heure: datetime
    infirmier: str = Field(min_length=1, max_length=128)
    statut: Statut = "administre"


class Formulaire(BaseModel):
    model_config = ConfigDict(extra="forbid")

    formulaire: str = Field(pattern=r"^[A-Z0-9][A-Z0-9-]{0,31}$",
                            description="Numéro du formulaire papier (ex. « F-MED-0001 »)")
    lignes: list[LigneFormulaire] = Field(min_length=1, max_length=MAX_FORM_LINES)


class Doublon(BaseModel):
    prescription: str
    prise_prevue: datetime
    administrations: list[str] = Field(description="Identifiants des saisies en double")


class Omission(BaseModel):
    prescription: str
    sejour: str
    medicament: str
    prise_prevue: datetime


class Ressaisie(BaseModel):
    formulaire: str
    saisies: list[Administration]
    doublons: list[Doublon]


class Rapprochement(BaseModel):
    """Duplicates and omissions of a period (the outage): what the drill engine and the grader
    read after the re-entry."""

    debut: datetime
    fin: datetime
    unite: str | None
    prises_prevues: int
    doublons: list[Doublon]
    omissions: list[Omission]


class Fichier(BaseModel):
    nom: str
    chiffre: bool
    note_de_rancon: bool
    taille: int


class OperationFichiers(BaseModel):
    fichiers: list[str]
