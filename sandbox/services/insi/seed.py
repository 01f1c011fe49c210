"""Load the national identity base: every identity with an INS (PROV ones do not exist)."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.orm import Session

from sandbox.services.insi.models import NationalIdentity
from synthetic_data.nir import OID_INS_TEST, normalize_trait


def seed(session: Session, tenant: str, population) -> None:
    rows = [
        {
            "tenant": tenant, "matricule": p.identity.ins,
            "oid": OID_INS_TEST.removeprefix("urn:oid:"),
            "birth_name": normalize_trait(p.identity.birth_name),
            "given_names": " ".join(normalize_trait(g) for g in p.identity.given_names),
            "sex": p.identity.sex.value, "birth_date": p.identity.birth_date,
            "birthplace": p.identity.birthplace.upper(), "vitale": p.vitale,
            "patient_id": p.id,
        }
        for p in population.identities()
        if p.identity.ins
    ]
    if rows:
        session.execute(insert(NationalIdentity), rows)
