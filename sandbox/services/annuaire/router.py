"""Annuaire Santé: FHIR search (Practitioner, PractitionerRole, Organization) and read.

Like the real Annuaire Santé FHIR API, results carry RPPS/FINESS identifiers, professions
(TRE_G15), specialties (TRE_R38) and MSSanté addresses (telecom `email`). Unknown search
parameters are refused in French rather than silently ignored.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Select, bindparam, select

from sandbox import fhir
from sandbox.errors import ServiceError
from sandbox.fhir import Bundle, FhirResponse, Param
from sandbox.injection import ServiceContext, service_context
from sandbox.service_router import ServiceRouter
from sandbox.services.annuaire.models import DirectoryEntry as E
from synthetic_data import referentials
from synthetic_data.export import systems

router = ServiceRouter(prefix="/annuaire", tags=["Annuaire Santé"])
Ctx = Annotated[ServiceContext, Depends(service_context("annuaire"))]

_CITY = Param("words", E.city, "commune d'exercice (début du nom, sans accents requis)")
_POSTAL = Param("token", E.postal_code, "code postal du lieu d'exercice (5 chiffres)")
_EMAIL = Param("token", E.email, "adresse MSSanté")


def _professions() -> dict[str, str]:
    return {code: p.label for code, p in referentials.professions().items()}


def _specialties() -> dict[str, str]:
    return {code: s.label for code, s in referentials.specialties().items()}


def _kinds() -> dict[str, str]:
    return {kind: t.label for kind, t in referentials.establishment_types().items()}


_PROFESSION = Param("token", E.profession, "code profession TRE_G15 (10 médecin, 60 infirmier…)",
                    systems=(systems.TRE_G15_PROFESSION,), codes=_professions)
_SPECIALTY = Param("token", E.specialty, "code spécialité TRE_R38 (SM54 médecine générale…)",
                   systems=(systems.TRE_R38_SPECIALTY,), codes=_specialties)

SEARCH: dict[str, dict[str, Param]] = {
    "Practitioner": {
        "_id": Param("token", E.id, "identifiant de la ressource"),
        "identifier": Param("token", E.rpps, "numéro RPPS (11 chiffres)",
                            systems=(systems.RPPS,)),
        "name": Param("words", E.names, "nom ou prénom (début du mot)"),
        "family": Param("words", E.family, "nom d'exercice"),
        "given": Param("words", E.given, "prénom"),
        "profession": _PROFESSION,
        "specialty": _SPECIALTY,
        "address-city": _CITY,
        "address-postalcode": _POSTAL,
        "email": _EMAIL,
    },
    "PractitionerRole": {
        "_id": Param("token", E.id, "identifiant de la ressource"),
        "practitioner": Param("reference", E.practitioner_id, "Practitioner/<id>",
                              reference_type="Practitioner"),
        "organization": Param("reference", E.organization_id, "Organization/<id>",
                              reference_type="Organization"),
        "identifier": Param("token", E.rpps, "numéro RPPS du professionnel",
                            systems=(systems.RPPS,)),
        "name": Param("words", E.names, "nom ou prénom du professionnel"),
        "role": _PROFESSION,
        "profession": _PROFESSION,
        "specialty": _SPECIALTY,
        "address-city": _CITY,
        "address-postalcode": _POSTAL,
        "email": _EMAIL,
    },
    "Organization": {
        "_id": Param("token", E.id, "identifiant de la ressource"),
        "identifier": Param("token", E.finess, "numéro FINESS géographique (9 caractères)",
                            systems=(systems.FINESS,)),
        "name": Param("words", E.names, "nom de la structure (début des mots)"),
        "type": Param("token", E.kind, "type de structure (CH, CHU, MSP, PHARMACIE…)",
                      codes=_kinds),
        "address-city": _CITY,
        "address-postalcode": _POSTAL,
        "email": _EMAIL,
    },
}


_STATEMENTS = fhir.StatementCache()


def _statements(resource_type: str, prepared: fhir.Prepared) -> tuple[Select, Select]:
    """The count and the page statements of a search of this shape, built once."""

    def build() -> tuple[Select, Select]:
        base = select(E).where(E.tenant == bindparam("tenant"), E.resource_type == resource_type)
        where = prepared.where()
        if where is not None:
            base = base.where(where)
        page = base.order_by(E.id).offset(bindparam("offset")).limit(bindparam("count"))
        return fhir.count_query(base), page

    return _STATEMENTS.get((resource_type, prepared.key), build)


def _search(resource_type: str):
    params = SEARCH[resource_type]

    def search(request: Request, ctx: Ctx) -> FhirResponse:
        ctx.require("annuaire.search", target=resource_type)
        query = fhir.parse_search(request, params, resource_type)
        prepared = query.prepared()
        count, page = _statements(resource_type, prepared)
        values = {**prepared.parameters, "tenant": ctx.tenant, "offset": query.offset,
                  "count": query.count}
        total = ctx.session.scalar(count, values) or 0
        rows = ctx.session.scalars(page, values).all()
        ctx.record("annuaire.search", target=resource_type,
                   detail={"parametres": query.query_items, "total": total})
        return FhirResponse(fhir.searchset(request, query, [r.resource for r in rows], total))

    search.__name__ = f"search_{resource_type.lower()}"
    return search


def _read(resource_type: str):
    def read(resource_id: str, ctx: Ctx) -> FhirResponse:
        ctx.require("annuaire.search", target=f"{resource_type}/{resource_id}")
        row = ctx.session.get(E, (ctx.tenant, resource_type, resource_id))
        if row is None:
            raise ServiceError(404, f"{resource_type} « {resource_id} » introuvable dans "
                                    "l'Annuaire Santé de ce bac à sable.")
        ctx.record("annuaire.read", target=f"{resource_type}/{resource_id}")
        return FhirResponse(row.resource)

    read.__name__ = f"read_{resource_type.lower()}"
    return read


for _type in SEARCH:
    router.add_api_route(
        f"/fhir/{_type}", _search(_type), methods=["GET"], response_model=Bundle,
        response_class=FhirResponse, summary=f"Rechercher ({_type})",
        openapi_extra={"parameters": fhir.openapi_parameters(SEARCH[_type])},
    )
    router.add_api_route(
        f"/fhir/{_type}/{{resource_id}}", _read(_type), methods=["GET"],
        response_model=dict, response_class=FhirResponse, summary=f"Lire ({_type})",
    )
