"""Load the national identity base: every identity with a matricule, whatever its local
status (a VALI identity exists in the base though its record carries no INS yet; PROV ones do
not). A birth date known by its year alone is stored as 1 January, its matricule's fictitious
month telling it apart."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.orm import Session

from sandbox.services.insi.models import NationalIdentity
from synthetic_data.nir import OID_INS_TEST, normalize_trait


def seed(session: Session, tenant: str, population) -> None:
    rows = [
        {
            "tenant": tenant, "matricule": p.identity.matricule,
            "oid": OID_INS_TEST.removeprefix("urn:oid:"),
            "birth_name": normalize_trait(p.identity.birth_name),
            "given_names": " ".join(normalize_trait(g) for g in p.identity.given_names),
            "sex": p.identity.sex.value, "birth_date": p.identity.birth_date,
            "birthplace": p.identity.birthplace.upper(), "vitale": p.vitale,
            "patient_id": p.id,
        }
        for p in population.identities()
        if p.identity.matricule
    ]
    if rows:
        session.execute(insert(NationalIdentity), rows)
