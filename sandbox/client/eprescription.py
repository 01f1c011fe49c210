"""`s.eprescription`: prescribe, scan, dispense line by line, cancel.

    p = s.eprescription.create(patient=ins, lines=[
        {"drug": "METFORMINE 1000 mg cp", "atc": "A10BA02", "dosage": "1 cp matin et soir",
         "quantity": 2, "duration_days": 60}])
    p.number, p.qr                           # unique number, single-use QR payload
    s.eprescription.get(p.number)            # as a pharmacist: the scan (reserves it)
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
    id: str
    line: int
    quantity: int
    pharmacist: str
    at: str


@dataclass
class Prescription:
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
        """The service's answer, read through its own schema (`PrescriptionOut`), in English."""
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
    base = "/eprescription"

    def create(self, patient: str, lines: list[dict[str, Any]], *, note: str | None = None,
               idempotency_key: str | None = None) -> Prescription:
        """Prescribe (physician, midwife) for a patient with a qualified INS."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        body = {"patient": patient, "lignes": [_line(x) for x in lines], "note": note}
        return Prescription.from_json(self._post(f"{self.base}/prescriptions", json=body,
                                                 headers=headers))

    def get(self, number: str) -> Prescription:
        """Read a prescription; for a pharmacist this is the scan (it reserves the QR)."""
        return Prescription.from_json(self._get(f"{self.base}/prescriptions/{number}"))

    def scan(self, qr: str) -> Prescription:
        """Scan a QR payload (or type the number): pharmacists only."""
        return Prescription.from_json(self._post(f"{self.base}/scan", json={"code": qr}))

    def list(self) -> list[Prescription]:
        """The patient's prescriptions, the prescriber's, or those the pharmacist scanned."""
        return [Prescription.from_json(d) for d in self._get(f"{self.base}/prescriptions")]

    def dispense(self, number: str, *, line: int, quantity: int) -> Prescription:
        """Record the dispensing of `quantity` for one line (MedicationDispense)."""
        return Prescription.from_json(self._post(
            f"{self.base}/prescriptions/{number}/dispense",
            json={"ligne": line, "quantite": quantity}))

    def cancel(self, number: str, *, reason: str | None = None) -> Prescription:
        """Cancel (the prescriber who wrote it)."""
        return Prescription.from_json(self._post(
            f"{self.base}/prescriptions/{number}/cancel", json={"motif": reason}))

    def file_in_dmp(self, number: str) -> Prescription:
        """File in the DMP an ordonnance a DMP outage kept out (the prescriber, once it is back)."""
        return Prescription.from_json(self._post(f"{self.base}/prescriptions/{number}/versement-dmp"))

    def fhir(self, number: str) -> dict:
        """The prescription as a FHIR Bundle (MedicationRequest per line, MedicationDispense)."""
        return self._get(f"{self.base}/prescriptions/{number}/fhir")

    def qr_png(self, number: str) -> bytes:
        """The QR code as a PNG image (patient, prescriber)."""
        return self._raw("GET", f"{self.base}/prescriptions/{number}/qr.png",
                         headers={"Accept": "image/png"}).content
