"""The one vocabulary of the event stream: outcomes and action names, with their French labels.

Code compares the stable English codes (`SUCCESS`, `"dmp.document.search"`); wherever a person
reads an event (the patient's access history, the client's `AuditEntry`, a facilitator's
console) it shows the French label from here. No other table of outcomes or action names.
"""

from __future__ import annotations

SUCCESS = "success"
REFUSED = "refused"
ERROR = "error"

OUTCOME_LABELS = {SUCCESS: "succès", REFUSED: "refus", ERROR: "erreur"}

# The action names as a code system (an AuditEvent's subtype), their labels as displays.
ACTION_SYSTEM = "urn:santelab:evenement"

# FHIR AuditEvent.outcome (0 success, 4 minor failure, 8 serious failure) per stream outcome.
AUDIT_EVENT_OUTCOME = {SUCCESS: "0", REFUSED: "4", ERROR: "8"}

ACTION_LABELS = {
    "auth.login": "Connexion",
    "admin.events": "Lecture du flux d'événements",
    "admin.faults": "Gestion des pannes simulées",
    "admin.fault.set": "Panne simulée injectée",
    "admin.fault.clear": "Service rétabli",
    "admin.inject_mail": "Injection d'un courriel d'exercice",
    "annuaire.search": "Recherche dans l'Annuaire santé",
    "annuaire.read": "Lecture d'une fiche de l'Annuaire santé",
    "insi.search": "Récupération de l'INS (INSi)",
    "insi.verify": "Vérification de l'INS (INSi)",
    "dmp.document.create": "Alimentation du DMP (dépôt de document)",
    "dmp.document.write": "Alimentation du DMP (dépôt de document)",
    "dmp.document.replace": "Remplacement d'un document",
    "dmp.document.archive": "Archivage d'un document",
    "dmp.document.mask": "Masquage ou démasquage d'un document aux professionnels",
    "dmp.document.search": "Recherche de documents",
    "dmp.document.read": "Consultation d'une fiche de document",
    "dmp.binary.read": "Lecture du contenu d'un document",
    "dmp.break_glass": "Accès en urgence (bris de glace)",
    "dmp.consent.read": "Consultation des autorisations du DMP",
    "dmp.consent.change": "Modification des autorisations du DMP",
    "dmp.consent.manage": "Modification des autorisations du DMP",
    "dmp.audit.read": "Consultation de l'historique des accès",
    "dmp.alerts.read": "Consultation des alertes d'accès en urgence",
    "erx.create": "Établissement d'une e-prescription",
    "erx.replay": "Relecture d'une e-prescription (clé d'idempotence)",
    "erx.read": "Lecture d'une e-prescription",
    "erx.scan": "Scan du QR code d'une e-prescription",
    "erx.dispense": "Délivrance d'une ligne d'e-prescription",
    "erx.cancel": "Annulation d'une e-prescription",
    "erx.dmp.file": "Versement d'une ordonnance au DMP",
    "mssante.send": "Envoi d'un message MSSanté",
    "mssante.read": "Lecture d'un message MSSanté",
    "mssante.report": "Signalement d'un message MSSanté",
    "mssante.quarantine": "Message MSSanté mis en quarantaine",
    "mssante.inject": "Courriel d'exercice déposé",
    "mssante.piege.visite": "Visite d'un lien piégé",
    "mssante.piege.clic": "Clic sur un lien piégé",
}

# Refused requests that no route traced itself (a 400 of validation, an unknown resource…).
REQUEST_REFUSED = "request.refused"


def action_label(action: str) -> str:
    """The French label of an action; a request refusal names its service."""
    label = ACTION_LABELS.get(action)
    if label is not None:
        return label
    service, _, rest = action.partition(".")
    if rest == REQUEST_REFUSED:
        return f"Requête refusée ({service})"
    return action


def outcome_label(outcome: str) -> str:
    return OUTCOME_LABELS.get(outcome, outcome)
