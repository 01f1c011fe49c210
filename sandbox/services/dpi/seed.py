"""Open the establishment's DPI: care units filled with inpatients drawn from the population
(identities with an INS and at least one treatment), their active orders taken from their
treatments, and the shared folder's documents.

Everything follows from the population, so the same seed gives the same units, beds,
patients, allergies and orders.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import insert
from sqlalchemy.orm import Session

from sandbox.services.dpi.models import DpiOrder, DpiStay, DpiUnit, SharedFile

UNITS = (("MED", "Médecine polyvalente"), ("GER", "Gériatrie"), ("CHIR", "Chirurgie viscérale"))
BEDS_PER_UNIT = 6
ORDERS_PER_STAY = 4
# A deterministic pick per patient: most have no known allergy.
ALLERGIES = ((), (), (), ("Pénicillines",), ("Iode",), ("AINS",), ("Latex",),
             ("Pénicillines", "Codéine"))
SHARED_FILES = {
    "protocole-hypoglycemie.txt":
        "Protocole hypoglycémie — unité de soins\n\nGlycémie capillaire < 0,70 g/L : 15 g de "
        "sucre per os si le patient peut avaler, sinon G30 % IV sur prescription. Contrôle à "
        "15 minutes.\n",
    "planning-equipe.txt":
        "Planning de l'équipe soignante\n\nJour : 7 h – 19 h ; nuit : 19 h – 7 h. Cadre de "
        "santé d'astreinte joignable par le standard.\n",
    "procedure-mode-degrade.txt":
        "Procédure mode dégradé — DPI indisponible\n\n1. Ouvrir la capsule de continuité "
        "imprimée.\n2. Tracer chaque administration sur un formulaire papier numéroté.\n"
        "3. Après restauration, ressaisir les formulaires dans le DPI et contrôler doublons et "
        "oublis.\n",
    "annuaire-interne.txt":
        "Annuaire interne\n\nPharmacie : poste 4210 ; DSI : poste 4300 ; cellule de crise : "
        "poste 4000.\n",
}


def _pick(patient_id: str, salt: str, count: int) -> int:
    return hashlib.sha256(f"{salt}:{patient_id}".encode()).digest()[0] % count


def dose_times(dosage: str) -> list[str]:
    """Times of day of a posology text ("1 cp matin et soir" → 08:00, 20:00)."""
    text = dosage.lower()
    if "3 fois" in text or "trois fois" in text or "midi" in text:
        return ["08:00", "12:00", "18:00"]
    if ("soir" in text and "matin" in text) or "2 fois" in text or "deux fois" in text:
        return ["08:00", "20:00"]
    if "soir" in text or "coucher" in text:
        return ["20:00"]
    return ["08:00"]


def seed(session: Session, tenant: str, population) -> None:
    inpatients = [p for p in population.patients
                  if p.identity.ins and p.medications and p.deceased is None]
    units, stays, orders = [], [], []
    for index, (code, name) in enumerate(UNITS):
        units.append({"tenant": tenant, "code": code, "name": name})
        for bed, p in enumerate(inpatients[index * BEDS_PER_UNIT:(index + 1) * BEDS_PER_UNIT], 1):
            ident = p.identity
            stay_id = f"SEJ-{code}-{bed:02d}"
            stays.append({
                "tenant": tenant, "id": stay_id, "unit": code, "bed": f"{code[0]}{bed:02d}",
                "patient_id": p.id, "ins": ident.ins, "birth_name": ident.birth_name,
                "given_names": " ".join(ident.given_names), "sex": ident.sex.value,
                "birth_date": ident.birth_date,
                "allergies": list(ALLERGIES[_pick(p.id, "allergy", len(ALLERGIES))]),
            })
            drugs = {m.drug_name: m for m in p.medications}  # one order per drug, last kept
            for line, m in enumerate(list(drugs.values())[-ORDERS_PER_STAY:], 1):
                orders.append({
                    "tenant": tenant, "id": f"{stay_id}-P{line}", "stay_id": stay_id,
                    "drug": m.drug_name, "atc": m.medication.code, "dose": m.dosage,
                    "times": dose_times(m.dosage), "prescriber_id": m.requester_id,
                })
    session.execute(insert(DpiUnit), units)
    if stays:
        session.execute(insert(DpiStay), stays)
    if orders:
        session.execute(insert(DpiOrder), orders)
    session.execute(insert(SharedFile), [
        {"tenant": tenant, "name": name, "content": text.encode("utf-8"), "backup": None,
         "original_name": None, "encrypted": False, "ransom_note": False}
        for name, text in SHARED_FILES.items()])
