"""AuditEvent (FHIR R4) rendered from the shared event stream: the patient's list of accesses.

Nothing is stored twice: every DMP action is already an event (tenant, persona, action, target,
patient, outcome), refusals included; this module only shows them as IHE BALP-like AuditEvents.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sandbox.events_models import EventRow

DCM = "http://dicom.nema.org/resources/ontology/DCM"
IHE_EVENT = "urn:ihe:event-type-code"
ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
AUDIT_ACTION = {"C": "créé", "R": "lu", "U": "modifié", "E": "exécuté"}

# action -> (DICOM type code, display, IHE transaction, FHIR action, French label)
_KINDS = {
    "dmp.document.create": ("110106", "Export", "ITI-65", "C", "Alimentation du DMP (dépôt de document)"),
    "dmp.document.write": ("110106", "Export", "ITI-65", "C", "Alimentation du DMP (dépôt de document)"),
    "dmp.document.replace": ("110106", "Export", "ITI-65", "U", "Remplacement d'un document"),
    "dmp.document.archive": ("110106", "Export", "ITI-65", "U", "Archivage d'un document"),
    "dmp.document.search": ("110112", "Query", "ITI-67", "E", "Recherche de documents"),
    "dmp.document.read": ("110110", "Patient Record", "ITI-67", "R", "Consultation d'une fiche de document"),
    "dmp.binary.read": ("110107", "Import", "ITI-68", "R", "Lecture du contenu d'un document"),
    "dmp.break_glass": ("110113", "Security Alert", "ITI-67", "E", "Accès en urgence (bris de glace)"),
    "dmp.consent.change": ("110110", "Patient Record", "", "U", "Modification des autorisations du DMP"),
    "dmp.consent.manage": ("110110", "Patient Record", "", "U", "Modification des autorisations du DMP"),
    "dmp.audit.read": ("110110", "Patient Record", "", "R", "Consultation de l'historique des accès"),
}


def aware(moment: datetime) -> datetime:
    """Event times are UTC; SQLite gives them back naive."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def audit_event(row: EventRow) -> dict:
    """One event as an AuditEvent: who, what, when, outcome (refusals are failures)."""
    code, display, transaction, action, label = _KINDS.get(
        row.action, ("110110", "Patient Record", "", "E", row.action))
    event = {
        "resourceType": "AuditEvent",
        "id": str(row.seq),
        "type": {"system": DCM, "code": code, "display": display},
        "action": action,
        "recorded": aware(row.at).isoformat(timespec="seconds"),
        "outcome": "0" if row.outcome == "success" else "4",
        "outcomeDesc": label if row.outcome == "success"
        else f"{label} — refusé : {row.detail.get('raison', '')}",
        "agent": [{
            "type": {"text": row.role or "inconnu"},
            "who": {"display": row.persona or "inconnu"},
            "requestor": True,
        }],
        "source": {"observer": {"display": "DMP — bac à sable santelab"}},
        "entity": [],
    }
    if transaction:
        event["subtype"] = [{"system": IHE_EVENT, "code": transaction}]
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
