"""Request bodies of the drill endpoints (shared by the router and the client)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StartRequest(Body):
    scenario: str | None = Field(None, description="id d'un scénario livré")
    texte: str | None = Field(None, max_length=200_000, description="ou le YAML d'un scénario")
    niveau: Literal["débutant", "intermédiaire", "confirmé"] = "intermédiaire"
    vitesse: float = Field(1.0, gt=0, le=3600)
    graine: int = Field(0, ge=0, le=2**31)
    exercice: str | None = Field(None, pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")


class PostponeRequest(Body):
    secondes: float = Field(gt=0, le=86_400, description="secondes de scénario")


class ValidationRequest(Body):
    score: int = Field(ge=0, le=1000)
    commentaire: str = Field("", max_length=4000)


class DeclarationRequest(Body):
    type: Literal["cellule_de_crise", "mode_degrade", "fin_de_crise"]
    commentaire: str = Field("", max_length=4000)


class IncidentRequest(Body):
    """The national portal's form for a serious security incident, as the sandbox keeps it."""

    categorie: Literal["rancongiciel", "hameconnage", "compte_compromis", "indisponibilite",
                       "erreur_identification", "autre"]
    description: str = Field(min_length=10, max_length=4000)
    impact_patients: bool = Field(False, strict=True)  # true/false, never 0 or "oui"


class LogEntryRequest(Body):
    """A line of the crisis log ("main courante"), by a facilitator or an observer."""

    auteur: str = Field(min_length=1, max_length=128)
    qualite: Literal["animateur", "observateur"] = "observateur"
    texte: str = Field(min_length=1, max_length=4000)


class DebriefRequest(Body):
    """One answer of the hot debrief, right after the end."""

    question: Literal["reussites", "ameliorations", "actions"]
    reponse: str = Field(min_length=1, max_length=4000)
    auteur: str = Field("", max_length=128)
