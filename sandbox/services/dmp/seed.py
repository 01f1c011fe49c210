"""Open the population's DMPs: every identity is known (with its status), and the documents of
each patient with a qualified INS are filed as DocumentReference + Binary.

Documents are built by the exporter's FHIR builders (the same shapes as the NDJSON export) and
inserted in bulk: their codes come from the pathways, whose referential is a subset of ours.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from sqlalchemy import insert
from sqlalchemy.orm import Session

from sandbox.services.dmp.codes import referentials
from sandbox.services.dmp.models import DmpBinaryRow, DmpDocumentRow, DmpPatientRow
from synthetic_data import model, nir
from synthetic_data.export import fhir_r4


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=fhir_r4.PARIS)
    return moment.astimezone(UTC)


def seed(session: Session, tenant: str, population) -> None:
    settings = population.settings
    ctx = fhir_r4.ExportContext(settings.seed, settings.reference_date)
    known_types = referentials().types
    patients, docs, binaries = [], [], []
    for p in population.patients:
        ident = p.identity
        qualified = ident.status is model.IdentityStatus.QUAL and ident.ins
        patients.append({
            "tenant": tenant, "patient_id": p.id, "ins": ident.ins,
            "identity_status": ident.status.value, "family": ident.birth_name,
            "given": ident.first_given_name, "birth_date": ident.ins_birth_date,
            "gp_id": p.gp_id, "opposed": False, "opposition_reason": None,
        })
        if not qualified:
            continue
        for doc in p.documents:
            if doc.type.code not in known_types:
                continue
            body = doc.text.encode("utf-8")
            resource = fhir_r4.document_reference(doc, p, ctx, body)
            resource["subject"]["identifier"] = {"system": nir.OID_INS_TEST, "value": ident.ins}
            resource.pop("meta", None)
            binary_id = fhir_r4.binary_id(doc)
            docs.append({
                "tenant": tenant, "id": doc.id,
                "master_identifier": resource["masterIdentifier"]["value"],
                "patient_id": p.id, "status": "current", "archived": False,
                "type_code": doc.type.code, "class_code": doc.class_code,
                "confidentiality": [doc.confidentiality],
                "format_code": resource["content"][0]["format"]["code"],
                "author_id": doc.author_id, "date": _aware(doc.date), "binary_id": binary_id,
                "content_hash": hashlib.sha256(body).hexdigest(), "replaces": None,
                "version": 1, "resource": resource,
            })
            binaries.append({"tenant": tenant, "id": binary_id, "document_id": doc.id,
                             "content_type": "text/plain", "data": body})
    for table, rows in ((DmpPatientRow, patients), (DmpDocumentRow, docs),
                        (DmpBinaryRow, binaries)):
        if rows:
            session.execute(insert(table), rows)
