"""AuditEvent (FHIR R4) rendered from the shared event stream: the patient's list of accesses.

Nothing is stored twice: every DMP action is already an event (tenant, persona, action, target,
patient, outcome), refusals included; this module only shows them as IHE BALP-like AuditEvents.
"""

from __future__ import annotations

from sandbox.events_models import EventRow
from sandbox.vocabulary import (
    ACTION_SYSTEM,
    AUDIT_EVENT_OUTCOME,
    SUCCESS,
    action_label,
    outcome_label,
)

DCM = "http://dicom.nema.org/resources/ontology/DCM"
IHE_EVENT = "urn:ihe:event-type-code"
ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"

# DICOM audit event types (code -> French display: the patient reads them too).
_DICOM = {"110106": "Export de données", "110107": "Import de données",
          "110110": "Dossier patient", "110112": "Requête",
          "110113": "Alerte de sécurité"}
# action -> (DICOM type code, IHE transaction, FHIR action C/R/U/E)
_KINDS = {
    "dmp.document.create": ("110106", "ITI-65", "C"),
    "dmp.document.write": ("110106", "ITI-65", "C"),
    "dmp.document.replace": ("110106", "ITI-65", "U"),
    "dmp.document.archive": ("110106", "ITI-65", "U"),
    "dmp.document.mask": ("110110", "", "U"),
    "dmp.document.search": ("110112", "ITI-67", "E"),
    "dmp.document.read": ("110110", "ITI-67", "R"),
    "dmp.binary.read": ("110107", "ITI-68", "R"),
    "dmp.break_glass": ("110113", "ITI-67", "E"),
    "dmp.consent.read": ("110110", "", "R"),
    "dmp.consent.change": ("110110", "", "U"),
    "dmp.consent.manage": ("110110", "", "U"),
    "dmp.audit.read": ("110110", "", "R"),
    "dmp.alerts.read": ("110110", "", "R"),
}


def audit_event(row: EventRow) -> dict:
    """One event as an AuditEvent: who, what, when, outcome (refusals are failures)."""
    code, transaction, action = _KINDS.get(row.action, ("110110", "", "E"))
    label = action_label(row.action)
    event = {
        "resourceType": "AuditEvent",
        "id": str(row.seq),
        "type": {"system": DCM, "code": code, "display": _DICOM[code]},
        "subtype": [{"system": ACTION_SYSTEM, "code": row.action, "display": label}],
        "action": action,
        "recorded": row.at.isoformat(timespec="seconds"),
        "outcome": AUDIT_EVENT_OUTCOME.get(row.outcome, "8"),
        "outcomeDesc": label if row.outcome == SUCCESS
        else f"{label} — {outcome_label(row.outcome)} : {row.detail.get('raison', '')}",
        "agent": [{
            "type": {"text": row.role or "inconnu"},
            "who": {"display": row.persona or "inconnu"},
            "requestor": True,
        }],
        "source": {"observer": {"display": "DMP — bac à sable santelab"}},
        "entity": [],
    }
    if transaction:
        event["subtype"].append({"system": IHE_EVENT, "code": transaction})
    if row.patient:
        event["entity"].append({"what": {"reference": f"Patient/{row.patient}"},
                                "type": {"code": "1", "display": "Person"}})
    if row.target:
        event["entity"].append({"what": {"reference": row.target},
                                "type": {"code": "2", "display": "System Object"}})
    if row.action == "dmp.break_glass":
        event["purposeOfEvent"] = [{"coding": [{"system": ACT_REASON, "code": "ETREAT",
                                                "display": "Emergency Treatment"}],
                                    "text": str(row.detail.get("motif", ""))}]
    if not event["entity"]:
        del event["entity"]
    return event
