"""The e-prescription as FHIR R4: one MedicationRequest per line (grouped by the prescription
number) and one MedicationDispense per dispensing act, in a `collection` Bundle."""

from __future__ import annotations

from sandbox.services.eprescription import numbers
from synthetic_data.nir import OID_INS_TEST

ATC = "http://www.whocc.no/atc"
NUMBER_SYSTEM = "https://santelab.example/fhir/NamingSystem/e-prescription"
UNIT = "http://terminology.hl7.org/CodeSystem/v3-orderableDrugForm"
_REQUEST_STATUS = {"active": "active", "partially-dispensed": "active",
                   "completed": "completed", "cancelled": "cancelled"}


def fhir_id(number: str) -> str:
    """A prescription number as a FHIR id: the MOD 37-2 check character may be `*`, which ids
    may not hold (`[A-Za-z0-9-.]`); `.` is outside the number's alphabet, so nothing collides."""
    return number.replace("*", ".")


def _medication(line) -> dict:
    concept: dict = {"text": line.medicament}
    if line.atc:
        concept["coding"] = [{"system": ATC, "code": line.atc}]
    return concept


def bundle(p) -> dict:
    """`p` is a PrescriptionOut (the typed view): rendered, never re-read."""
    number = numbers.parse(p.numero)
    subject = {"identifier": {"system": OID_INS_TEST, "value": p.ins}}
    group = {"system": NUMBER_SYSTEM, "value": p.numero}
    entries = []
    for line in p.lignes:
        status = _REQUEST_STATUS[p.statut]
        if p.statut == "partially-dispensed" and line.reste == 0:
            status = "completed"
        entries.append({"fullUrl": f"urn:uuid:erx-{number}-{line.ligne}", "resource": {
            "resourceType": "MedicationRequest", "id": f"{fhir_id(number)}-{line.ligne}",
            "identifier": [{"system": NUMBER_SYSTEM, "value": f"{p.numero}/{line.ligne}"}],
            "groupIdentifier": group, "status": status, "intent": "order",
            "medicationCodeableConcept": _medication(line), "subject": subject,
            "authoredOn": p.date.isoformat(timespec="seconds"),
            "requester": {"display": p.prescripteur},
            "dosageInstruction": [{"text": line.posologie}],
            "dispenseRequest": {"quantity": {"value": line.quantite, "unit": "boîte(s)"},
                                "expectedSupplyDuration": {
                                    "value": line.duree_jours, "unit": "jours",
                                    "system": "http://unitsofmeasure.org", "code": "d"}},
            **({"statusReason": {"text": p.motif_annulation}}
               if p.statut == "cancelled" and p.motif_annulation else {}),
        }})
    lines = {line.ligne: line for line in p.lignes}
    for act in p.delivrances:
        entries.append({"fullUrl": f"urn:uuid:erx-dispense-{act.id}", "resource": {
            "resourceType": "MedicationDispense", "id": act.id, "status": "completed",
            "medicationCodeableConcept": _medication(lines[act.ligne]), "subject": subject,
            "authorizingPrescription": [{"reference": f"urn:uuid:erx-{number}-{act.ligne}"}],
            "performer": [{"actor": {"display": act.pharmacien}}],
            "quantity": {"value": act.quantite, "unit": "boîte(s)"},
            "whenHandedOver": act.date.isoformat(timespec="seconds"),
        }})
    return {"resourceType": "Bundle", "type": "collection", "identifier": group,
            "entry": entries}
