"""INSi: récupération of the INS (by strict traits or by Vitale card) and vérification.

Answers mirror the real teleservice's return codes: 00 one identity (matricule, OID, traits),
01 none, 02 several (traits only: add the other given names, then the birthplace code). Traits
are normalised as INSi does (upper case, no diacritics, ligatures spelt out, hyphens and
apostrophes kept). Only identities with a matricule exist in the national base: provisional
identities of the population are unknown to INSi. The sandbox emits the TEST OID only. A birth
date known by its year alone is written 1950-00-00, as the matricule's fictitious month (20+)
says; a malformed matricule is answered with what is wrong in it (`nir.matricule_problem`).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from fastapi import Depends
from sqlalchemy import select

from sandbox.errors import ServiceError
from sandbox.injection import ServiceContext, service_context
from sandbox.service_router import ServiceRouter
from sandbox.services.insi.models import NationalIdentity
from sandbox.services.insi.schemas import (
    TEST_OID,
    Identite,
    RechercheVitale,
    ReponseRecuperation,
    ReponseVerification,
    Traits,
    Verification,
)
from synthetic_data.nir import matricule_problem, month_is_unknown, normalize_trait

router = ServiceRouter(prefix="/insi", tags=["INSi — identité nationale de santé"])
Ctx = Annotated[ServiceContext, Depends(service_context("insi"))]

_ALLOWED = re.compile(r"^[A-Z](?:[A-Z' -]*[A-Z])?$")

LIBELLES = {
    "00": "Une identité trouvée.",
    "01": "Aucune identité trouvée.",
    "02": "Plusieurs identités trouvées.",
}
CONSEIL_02 = ("Plusieurs identités correspondent : ajoutez les autres prénoms de naissance "
              "(dans l'ordre de l'acte de naissance), puis le code INSEE du lieu de naissance.")
CONSEIL_02_PLACE = ("Plusieurs identités correspondent encore : ajoutez le code INSEE du lieu "
                    "de naissance (commune, ou 99xxx pour un pays étranger).")


def _name(value: str, field: str) -> str:
    normalised = normalize_trait(value)
    if not _ALLOWED.match(normalised):
        raise ServiceError(
            400, f"Trait « {field} » invalide : « {value} ». Seuls les lettres, espaces, "
                 "tirets et apostrophes sont admis (sans chiffre ni ponctuation).",
            expression=[field])
    return normalised


def _given(values: list[str]) -> list[str]:
    names: list[str] = []
    for value in values:
        names.extend(_name(value, "prenoms").split(" "))
    return names


def _birth_date(row: NationalIdentity) -> str:
    """The INSi's form: 1950-00-00 when the matricule says the month is unknown."""
    if month_is_unknown(row.matricule):
        return f"{row.birth_date.year:04d}-00-00"
    return row.birth_date.isoformat()


def _stored_date(text: str) -> date:
    """The date the base keeps for an INSi date (unknown parts as 1): the rows to compare."""
    year, month, day = (int(part) for part in text.split("-"))
    return date(year, month or 1, day or 1)


def _identity(row: NationalIdentity) -> Identite:
    given = row.given_names.split(" ")
    return Identite(matricule=row.matricule, oid=row.oid, nom_naissance=row.birth_name,
                    prenoms=given, premier_prenom=given[0], sexe=row.sex,
                    date_naissance=_birth_date(row), lieu_naissance=row.birthplace)


@router.post("/recuperation/traits", response_model=ReponseRecuperation,
             summary="Récupérer l'INS par les traits d'identité")
def search_by_traits(body: Traits, ctx: Ctx) -> ReponseRecuperation:
    ctx.require("insi.search", target="insi/recuperation")
    birth_name = _name(body.nom_naissance, "nom_naissance")
    given = _given(body.prenoms)
    query = select(NationalIdentity).where(
        NationalIdentity.tenant == ctx.tenant, NationalIdentity.birth_name == birth_name,
        NationalIdentity.birth_date == _stored_date(body.date_naissance),
        NationalIdentity.sex == body.sexe)
    if body.lieu_naissance:
        query = query.where(NationalIdentity.birthplace == body.lieu_naissance)
    rows = [r for r in ctx.session.scalars(query)
            if r.given_names.split(" ")[: len(given)] == given
            and _birth_date(r) == body.date_naissance]
    code = "00" if len(rows) == 1 else "01" if not rows else "02"
    answer = ReponseRecuperation(code_retour=code, libelle=LIBELLES[code])
    if code == "00":
        answer.identite = _identity(rows[0])
    elif code == "02":
        answer.conseil = CONSEIL_02_PLACE if len(given) > 1 or body.lieu_naissance else CONSEIL_02
    ctx.record("insi.search", target=f"INS/{rows[0].matricule}" if code == "00" else None,
               patient=rows[0].patient_id if code == "00" else None,
               detail={"mode": "traits", "code_retour": code, "nombre": len(rows),
                       # what was asked, so a trainer (or a grade) sees the progressive search
                       "prenoms": len(given), "lieu_naissance": bool(body.lieu_naissance)})
    return answer


@router.post("/recuperation/carte-vitale", response_model=ReponseRecuperation,
             summary="Récupérer l'INS par la carte Vitale")
def search_by_card(body: RechercheVitale, ctx: Ctx) -> ReponseRecuperation:
    ctx.require("insi.search", target="insi/recuperation")
    row = ctx.session.scalar(select(NationalIdentity).where(
        NationalIdentity.tenant == ctx.tenant, NationalIdentity.vitale == body.numero_carte))
    code = "00" if row is not None else "01"
    ctx.record("insi.search", target=f"INS/{row.matricule}" if row else None,
               patient=row.patient_id if row else None,
               detail={"mode": "carte_vitale", "code_retour": code})
    return ReponseRecuperation(code_retour=code, libelle=LIBELLES[code],
                               identite=_identity(row) if row else None)


@router.post("/verification", response_model=ReponseVerification,
             summary="Vérifier une INS et ses traits")
def verify(body: Verification, ctx: Ctx) -> ReponseVerification:
    ctx.require("insi.verify", target=f"INS/{body.matricule}")
    if body.oid.removeprefix("urn:oid:") != TEST_OID:
        raise ServiceError(
            400, f"OID « {body.oid} » non pris en charge : ce bac à sable ne connaît que les "
                 f"identités de test (OID {TEST_OID}).", expression=["oid"])
    problem = matricule_problem(body.matricule)
    if problem is not None:
        raise ServiceError(400, f"Matricule INS « {body.matricule} » invalide. {problem}",
                           expression=["matricule"])
    row = ctx.session.get(NationalIdentity, (ctx.tenant, body.matricule))
    if row is None:
        ctx.record("insi.verify", target=f"INS/{body.matricule}",
                   detail={"code_retour": "01"})
        return ReponseVerification(code_retour="01", conforme=False,
                                   libelle="INS inconnue de la base nationale.")
    expected = _identity(row)
    gaps = []
    if _name(body.nom_naissance, "nom_naissance") != expected.nom_naissance:
        gaps.append("nom_naissance")
    given = _given(body.prenoms)
    if given != expected.prenoms[: len(given)]:
        gaps.append("prenoms")
    if body.sexe != expected.sexe:
        gaps.append("sexe")
    if body.date_naissance != expected.date_naissance:
        gaps.append("date_naissance")
    if body.lieu_naissance and body.lieu_naissance != expected.lieu_naissance:
        gaps.append("lieu_naissance")
    code = "02" if gaps else "00"
    ctx.record("insi.verify", target=f"INS/{row.matricule}", patient=row.patient_id,
               detail={"code_retour": code, "ecarts": gaps})
    if gaps:
        return ReponseVerification(
            code_retour=code, conforme=False, ecarts=gaps,
            libelle="INS connue mais traits discordants : " + ", ".join(gaps)
                    + ". Ne qualifiez pas l'identité ; contrôlez la pièce d'identité.")
    return ReponseVerification(code_retour=code, conforme=True,
                               libelle="INS et traits concordants.")
