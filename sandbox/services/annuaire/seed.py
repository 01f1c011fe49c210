"""Fill the directory from the population's professionals and organisations (FR Core FHIR)."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.orm import Session

from sandbox.fhir import words
from sandbox.services.annuaire.models import DirectoryEntry
from synthetic_data.export import fhir_r4


def seed(session: Session, tenant: str, population) -> None:
    ctx = fhir_r4.ExportContext(population.settings.seed, population.settings.reference_date)
    orgs = {o.id: o for o in population.organizations}
    rows: list[dict] = []
    for o in population.organizations:
        rows.append({
            "tenant": tenant, "resource_type": "Organization", "id": o.id,
            "names": words(o.name), "family": " ", "given": " ", "finess": o.finess,
            "id_nat": "1" + o.finess, "kind": o.kind, "city": words(o.address.city),
            "postal_code": o.address.postal_code, "insee": o.address.insee,
            "email": o.mssante, "resource": fhir_r4.organization(o, ctx),
        })
    for p in population.practitioners:
        org = orgs.get(p.organization_id)
        common = {
            "tenant": tenant, "names": words(p.birth_name, p.given_name),
            "family": words(p.birth_name), "given": words(p.given_name), "rpps": p.rpps,
            "id_nat": p.id_nat_ps, "profession": p.profession, "specialty": p.specialty,
            "city": words(org.address.city) if org else " ",
            "postal_code": org.address.postal_code if org else None,
            "insee": org.address.insee if org else None,
            "organization_id": p.organization_id, "practitioner_id": p.id, "email": p.mssante,
        }
        rows.append({**common, "resource_type": "Practitioner", "id": p.id,
                     "resource": fhir_r4.practitioner(p, ctx)})
        rows.append({**common, "resource_type": "PractitionerRole",
                     "id": fhir_r4.practitioner_role_id(p),
                     "resource": fhir_r4.practitioner_role(p, ctx)})
    if rows:
        session.execute(insert(DirectoryEntry), rows)
