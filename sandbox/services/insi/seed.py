"""Load the national identity base: every identity with a matricule, whatever its local
status (a VALI identity exists in the base though its record carries no INS yet; PROV ones do
not). A birth date known by its year alone is stored as 1 January, its matricule's fictitious
month telling it apart.

The national base also holds people the establishment never saw: for each homonym pair told
apart by their given names, a namesake born elsewhere shares every strict trait of the pair's
first member, so that the progressive search needs its third step (the birthplace code)."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.orm import Session

from sandbox.services.insi.models import NationalIdentity
from synthetic_data.model import Pitfall
from synthetic_data.nir import OID_INS_TEST, nir_key, normalize_trait

# A namesake is nobody's patient: its ground-truth link says so.
NAMESAKE = "homonyme-national"


def _row(tenant: str, p, *, matricule: str, birthplace: str, patient_id: str) -> dict:
    return {
        "tenant": tenant, "matricule": matricule, "oid": OID_INS_TEST.removeprefix("urn:oid:"),
        "birth_name": normalize_trait(p.identity.birth_name),
        "given_names": " ".join(normalize_trait(g) for g in p.identity.given_names),
        "sex": p.identity.sex.value, "birth_date": p.identity.birth_date,
        "birthplace": birthplace.upper(), "vitale": p.vitale if patient_id == p.id else None,
        "patient_id": patient_id,
    }


def namesakes(population) -> list[tuple[object, str, str]]:
    """(person, matricule, birthplace) of each namesake: the first member of every homonym pair
    with different given names, born in the first other French birthplace of the population."""
    people = [p for p in population.identities() if p.identity.matricule]
    by_id = {p.id: p for p in people}
    taken = {p.identity.matricule for p in people}
    places = list(dict.fromkeys(p.identity.birthplace.upper() for p in people
                                if not p.identity.birthplace.startswith("99")))
    found = []
    for p in people:
        other = by_id.get(p.related_to[0]) if p.related_to else None
        if (Pitfall.HOMONYM not in p.pitfalls or other is None or p.id > other.id
                or p.identity.given_names == other.identity.given_names):
            continue
        place = next((c for c in places if c != p.identity.birthplace.upper()), None)
        if place is None:
            continue
        body = p.identity.matricule[:5] + place + p.identity.matricule[10:13]
        matricule = body + nir_key(body)
        if matricule not in taken:
            taken.add(matricule)
            found.append((p, matricule, place))
    return found


def seed(session: Session, tenant: str, population) -> None:
    rows = [_row(tenant, p, matricule=p.identity.matricule, birthplace=p.identity.birthplace,
                 patient_id=p.id)
            for p in population.identities() if p.identity.matricule]
    rows += [_row(tenant, p, matricule=matricule, birthplace=place, patient_id=NAMESAKE)
             for p, matricule, place in namesakes(population)]
    if rows:
        session.execute(insert(NationalIdentity), rows)
