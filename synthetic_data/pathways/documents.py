"""French document bodies: text templates (`documents/*.txt`) filled with the patient's data.

Templates are data: `{placeholder}` fields among `FIELDS`, checked when the pathway loads.
"""

from __future__ import annotations

import string
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from synthetic_data import model
from synthetic_data.nir import normalize_trait
from synthetic_data.pathways.errors import SpecError

if TYPE_CHECKING:
    from synthetic_data.pathways.simulation import PatientRun

FIELDS = {
    "titre": "document title",
    "civilite": "Madame / Monsieur",
    "patient": "birth name and first given name (strict traits), then the used name if any",
    "ne": "« né » or « née »",
    "naissance": "birth date, dd/mm/yyyy (00/00/yyyy when only the year is known)",
    "age": "age in years on the document date",
    "date": "document date, dd/mm/yyyy",
    "praticien": "author, with title",
    "motif": "reason of the encounter",
    "resultats": "observations of the encounter, one per line",
    "traitement": "drugs prescribed in the encounter, or current treatments",
    "pathologies": "active conditions",
}
UNIT_TEXT = {"mm[Hg]": "mmHg", "umol/L": "µmol/L", "mL/min/{1.73_m2}": "mL/min/1,73 m²", "kg/m2": "kg/m²"}
INTERPRETATION_TEXT = {"H": " (élevé)", "L": " (bas)", "N": "", None: ""}
TITLES = {"10": "Dr", "50": "Sage-femme", "60": "Infirmier(e)", "21": "Pharmacien(ne)", "70": "Kinésithérapeute"}
SCAN = 60  # how far back to look for the encounter's observations and orders


def french_number(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def measure(value: float, unit: str) -> str:
    shown = UNIT_TEXT.get(unit, unit)
    return f"{french_number(value)} {shown}".rstrip()


def describe(obs: model.Observation) -> str:
    if obs.components:
        values = "/".join(french_number(v) for _, v, _ in obs.components)
        text = f"{obs.code.display} : {values} {UNIT_TEXT.get(obs.components[0][2], obs.components[0][2])}"
    else:
        text = f"{obs.code.display} : {measure(obs.value or 0.0, obs.unit or '')}"
    return text + INTERPRETATION_TEXT[obs.interpretation]



def patient_designation(identity: model.Identity) -> str:
    """The patient as the RNIV asks documents to name them: birth name and first given name
    (strict traits, INS form), then the used name when there is one."""
    name = f"{identity.birth_name} {identity.first_given_name}"
    if identity.used_name and normalize_trait(identity.used_name) != identity.birth_name:
        name += f" (nom utilisé : {identity.used_name})"
    return name

class Templates:
    """The templates a pathway folder may name: `<folder>/<name>.txt`, first folder first,
    each read and checked once (states get them while they are built)."""

    def __init__(self, *folders: Path) -> None:
        self.folders = folders
        self._read: dict[str, Template] = {}

    def get(self, name: str) -> Template:
        if name not in self._read:
            path = next((f / f"{name}.txt" for f in self.folders if (f / f"{name}.txt").is_file()), None)
            if path is None:
                raise SpecError(f"modèle de document « {name} » introuvable (documents/{name}.txt)")
            self._read[name] = Template(name, path.read_text(encoding="utf-8"))
        return self._read[name]


class Template:
    def __init__(self, name: str, text: str) -> None:
        for _, field, _, _ in string.Formatter().parse(text):
            if field is not None and field not in FIELDS:
                raise SpecError(f"modèle « {name} » : champ {{{field}}} inconnu (champs permis : {', '.join(FIELDS)})")
        self.name, self.text = name, text

    def render(self, run: PatientRun, encounter: model.Encounter, title: str, when: datetime) -> str:
        patient = run.patient
        identity = patient.identity
        author = run.staff.get(encounter.practitioner_id)
        observations = [o for o in patient.observations[-SCAN:] if o.encounter_id == encounter.id]
        orders = [m for m in patient.medications[-SCAN:] if m.encounter_id == encounter.id]
        if not orders:
            orders = [m for current in run.treatments.values() for m in current.values()]
        conditions = {c.codes[0].display: None for c in run.active.values()}
        woman = identity.sex is model.Sex.FEMALE
        return self.text.format(
            titre=title,
            civilite="Madame" if woman else "Monsieur",
            ne="née" if woman else "né",
            patient=patient_designation(identity),
            naissance="/".join(reversed(identity.ins_birth_date.split("-"))),
            age=run.age(when),
            date=when.strftime("%d/%m/%Y"),
            praticien=f"{TITLES.get(author.profession, '')} {author.given_name} {author.birth_name}".strip() if author else "",
            motif=encounter.reason.display if encounter.reason else "suivi",
            resultats="\n".join(f"- {describe(o)}" for o in observations) or "- aucun examen ce jour",
            traitement="\n".join(f"- {m.drug_name} : {m.dosage}" for m in orders) or "- aucun traitement",
            pathologies=", ".join(conditions) or "aucune pathologie chronique connue",
        )
