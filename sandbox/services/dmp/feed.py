"""Feeding the DMP from another service (the e-prescription files its ordonnance), in the
caller's transaction: the document and the prescription commit together or not at all."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from sqlalchemy.orm import Session

from sandbox import events
from sandbox.services.dmp import crud, documents
from sandbox.services.dmp.codes import referentials
from sandbox.services.dmp.models import DmpDocumentRow, DmpPatientRow


def file_text(session: Session, *, event: events.Event, patient: DmpPatientRow,
              author_id: str | None, type_code: str, title: str, text: str,
              master_identifier: str, date: datetime) -> DmpDocumentRow | None:
    """File a text document; None when the patient has closed the DMP (nothing is filed).

    `event` is the caller's event for this action, re-addressed to the DMP so that the
    patient sees the deposit among the accesses to their DMP.
    """
    if patient.opposed:
        return None
    ref = referentials()
    sub = documents.Submission(
        master_identifier=master_identifier, patient_ref=f"Patient/{patient.patient_id}",
        type_code=type_code, type_display=ref.types[type_code]["label"],
        class_code=ref.types[type_code]["class"], confidentiality=["N"],
        format_code="urn:ihe:iti:xds:2017:mimeTypeSufficient", content_type="text/plain",
        data=text.encode("utf-8"), title=title, date=date, replaces=None,
        resource={"resourceType": "DocumentReference", "description": title})
    doc, binary = crud.new_row(tenant=patient.tenant, sub=sub, patient=patient,
                               author_id=author_id)
    session.add_all([doc, binary])
    events.record(session, dataclasses.replace(
        event, service="dmp", action="dmp.document.create",
        target=f"DocumentReference/{doc.id}", patient=patient.patient_id,
        detail={"type": type_code, "classe": sub.class_code, "source": event.service,
                "masterIdentifier": master_identifier}))
    return doc
