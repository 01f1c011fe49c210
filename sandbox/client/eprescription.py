"""`s.eprescription` : prescrire, scanner, délivrer ligne par ligne, annuler.

    p = s.eprescription.create(patient=ins, lines=[
        {"drug": "METFORMINE 1000 mg cp", "atc": "A10BA02", "dosage": "1 cp matin et soir",
         "quantity": 2, "duration_days": 60}])
    p.number, p.qr                           # numéro unique, QR code à usage unique
    s.eprescription.get(p.number)            # en pharmacien : le scan (la réserve)
    s.eprescription.dispense(p.number, line=1, quantity=1)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sandbox.client.transport import Resource
from sandbox.services.eprescription.schemas import PrescriptionOut

# English keyword -> the service's French field name (both are accepted in `lines`).
_LINE_FIELDS = {"drug": "medicament", "atc": "atc", "dosage": "posologie",
                "quantity": "quantite", "duration_days": "duree_jours"}


@dataclass
class Line:
    """Une ligne de l'ordonnance : médicament, posologie, quantité prescrite et délivrée."""

    line: int
    drug: str
    atc: str | None
    dosage: str
    quantity: int
    duration_days: int
    dispensed: int
    remaining: int

    def __str__(self) -> str:
        return (f"{self.line}. {self.drug} — {self.dosage} — {self.quantity} "
                f"({self.dispensed} délivré(s), reste {self.remaining})")


@dataclass
class Dispense:
    """Une délivrance en officine (MedicationDispense) : ligne, quantité, pharmacien, date."""

    id: str
    line: int
    quantity: int
    pharmacist: str
    at: str


@dataclass
class Prescription:
    """Une e-prescription : numéro, QR code, patient (INS), prescripteur, statut, lignes."""

    number: str
    qr: str
    patient: str
    ins: str
    prescriber: str
    status: str  # active | partially-dispensed | completed | cancelled
    status_label: str
    date: str
    pharmacy: str | None
    cancel_reason: str | None
    note: str | None
    lines: list[Line]
    dmp_document: str | None = None
    dmp_filing: str = ""  # what became of the DMP copy, in French
    dispenses: list[Dispense] = field(default_factory=list)

    @classmethod
    def from_json(cls, d: dict) -> Prescription:
        """La réponse du service, lue par son propre schéma (`PrescriptionOut`)."""
        p = PrescriptionOut.model_validate(d)
        wire = p.model_dump(mode="json")  # dates as the service wrote them
        return cls(
            number=p.numero, qr=p.qr, patient=p.patient, ins=p.ins, prescriber=p.prescripteur,
            status=p.statut, status_label=p.statut_libelle, date=wire["date"],
            pharmacy=p.officine, cancel_reason=p.motif_annulation, note=p.note,
            dmp_document=p.document_dmp, dmp_filing=p.versement_dmp,
            lines=[Line(x.ligne, x.medicament, x.atc, x.posologie, x.quantite, x.duree_jours,
                        x.delivre, x.reste) for x in p.lignes],
            dispenses=[Dispense(a.id, a.ligne, a.quantite, a.pharmacien, w["date"])
                       for a, w in zip(p.delivrances, wire["delivrances"], strict=True)])

    def __str__(self) -> str:
        head = f"E-prescription {self.number} ({self.status_label}) — patient INS {self.ins}"
        return "\n".join([head, *(f"  {line}" for line in self.lines)])


def _line(value: dict[str, Any]) -> dict[str, Any]:
    return {_LINE_FIELDS.get(k, k): v for k, v in value.items()}


class EPrescription(Resource):
    """L'e-prescription : le prescripteur crée, le pharmacien scanne et délivre."""

    base = "/eprescription"

    def create(self, patient: str, lines: list[dict[str, Any]], *, note: str | None = None,
               idempotency_key: str | None = None) -> Prescription:
        """Prescrire (médecin, sage-femme) pour un patient dont l'INS est qualifiée."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        body = {"patient": patient, "lignes": [_line(x) for x in lines], "note": note}
        return Prescription.from_json(self._post(f"{self.base}/prescriptions", json=body,
                                                 headers=headers))

    def get(self, number: str) -> Prescription:
        """Lire une ordonnance ; pour un pharmacien, c'est le scan (qui réserve le QR code)."""
        return Prescription.from_json(self._get(f"{self.base}/prescriptions/{number}"))

    def scan(self, qr: str) -> Prescription:
        """Scanner un QR code (ou saisir le numéro) : pharmaciens seulement."""
        return Prescription.from_json(self._post(f"{self.base}/scan", json={"code": qr}))

    def list(self) -> list[Prescription]:
        """Les ordonnances du patient, celles du prescripteur, ou celles que le pharmacien a scannées."""
        return [Prescription.from_json(d) for d in self._get(f"{self.base}/prescriptions")]

    def dispense(self, number: str, *, line: int, quantity: int) -> Prescription:
        """Enregistrer la délivrance de `quantity` pour une ligne (MedicationDispense)."""
        return Prescription.from_json(self._post(
            f"{self.base}/prescriptions/{number}/dispense",
            json={"ligne": line, "quantite": quantity}))

    def cancel(self, number: str, *, reason: str | None = None) -> Prescription:
        """Annuler l'ordonnance (par le prescripteur qui l'a rédigée), avec un motif."""
        return Prescription.from_json(self._post(
            f"{self.base}/prescriptions/{number}/cancel", json={"motif": reason}))

    def file_in_dmp(self, number: str) -> Prescription:
        """Verser au DMP une ordonnance qu'une panne du DMP avait empêché d'y verser (le
        prescripteur, une fois le DMP rétabli)."""
        return Prescription.from_json(self._post(f"{self.base}/prescriptions/{number}/versement-dmp"))

    def fhir(self, number: str) -> dict:
        """L'ordonnance en Bundle FHIR (un MedicationRequest par ligne, les MedicationDispense)."""
        return self._get(f"{self.base}/prescriptions/{number}/fhir")

    def qr_png(self, number: str) -> bytes:
        """Le QR code en image PNG (patient, prescripteur)."""
        return self._raw("GET", f"{self.base}/prescriptions/{number}/qr.png",
                         headers={"Accept": "image/png"}).content
