"""The DMP's port for other services: what they may know of a DMP patient, and feeding the DMP.

The e-prescription finds its patient here (qualified INS only, as the DMP itself) and files
its ordonnance here, in the caller's transaction: the document and the prescription commit
together or not at all. Nothing outside the DMP reads its tables.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from sqlalchemy.orm import Session

from sandbox import events
from sandbox.services.dmp import crud, documents, patients
from sandbox.services.dmp.codes import referentials
from sandbox.services.dmp.models import DmpPatientRow


@dataclasses.dataclass(frozen=True)
class DmpPatient:
    """A patient of the DMP as another service sees it: who, and the qualified INS."""

    tenant: str
    patient_id: str
    ins: str  # always set: only qualified identities are found here


def _view(row: DmpPatientRow) -> DmpPatient:
    return DmpPatient(tenant=row.tenant, patient_id=row.patient_id, ins=row.ins)


def find_patient(session: Session, tenant: str, value: str, where: str) -> DmpPatient:
    """The patient named by "Patient/<id>", "<system>|<INS>" or a bare INS; the same French
    4xx as the DMP's for an unknown or unqualified identity (see dmp/patients.py)."""
    return _view(patients.from_reference(session, tenant, value, where).patient)


def patient_by_id(session: Session, tenant: str, patient_id: str) -> DmpPatient:
    return _view(patients.by_id(session, tenant, patient_id).patient)


def file_text(session: Session, *, event: events.Event, patient: DmpPatient,
              author_id: str | None, type_code: str, title: str, text: str,
              master_identifier: str, date: datetime) -> str | None:
    """File a text document and give its DocumentReference id; None when the patient has
    closed the DMP (nothing is filed).

    `event` is the caller's event for this action, re-addressed to the DMP so that the
    patient sees the deposit among the accesses to their DMP.
    """
    row = patients.by_id(session, patient.tenant, patient.patient_id).patient
    if row.opposed:
        return None
    ref = referentials()
    sub = documents.Submission(
        master_identifier=master_identifier, patient_ref=f"Patient/{row.patient_id}",
        type_code=type_code, type_display=ref.types[type_code]["label"],
        class_code=ref.types[type_code]["class"], confidentiality=["N"],
        format_code="urn:ihe:iti:xds:2017:mimeTypeSufficient", content_type="text/plain",
        data=text.encode("utf-8"), title=title, date=date, replaces=None,
        resource={"resourceType": "DocumentReference", "description": title})
    doc, binary = crud.new_row(tenant=row.tenant, sub=sub, patient=row, author_id=author_id)
    session.add_all([doc, binary])
    events.record(session, dataclasses.replace(
        event, service="dmp", action="dmp.document.create",
        target=f"DocumentReference/{doc.id}", patient=row.patient_id,
        detail={"type": type_code, "classe": sub.class_code, "source": event.service,
                "masterIdentifier": master_identifier}))
    return doc.id
