"""The continuity capsule of a unit: what care needs when the DPI is down, printed before the
crisis — census, identities with INS, allergies, active orders, the doses due in the next
24 hours — and numbered blank administration forms to write on during the outage.

Rendered as printable HTML (one page per patient form) and as CSV (one line per dose due).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape

from sandbox.services.dpi.models import DpiOrder, DpiStay, DpiUnit
from sandbox.services.dpi.schedule import PARIS, due_between

HORIZON = timedelta(hours=24)
CSV_COLUMNS = ("formulaire", "lit", "sejour", "ins", "nom_naissance", "prenoms",
               "date_naissance", "allergies", "prescription", "medicament", "dose",
               "prise_prevue")


@dataclass(frozen=True)
class Dose:
    stay: DpiStay
    order: DpiOrder
    due: datetime


@dataclass(frozen=True)
class Capsule:
    unit: DpiUnit
    at: datetime
    stays: list[DpiStay]
    orders: dict[str, list[DpiOrder]]  # stay id -> its orders
    doses: list[Dose]

    def form_id(self, stay: DpiStay) -> str:
        """The number printed on the stay's paper form (one sheet per patient)."""
        return f"F-{self.unit.code}-{stay.bed}"


def build(unit: DpiUnit, stays: list[DpiStay], orders: list[DpiOrder], at: datetime) -> Capsule:
    by_stay: dict[str, list[DpiOrder]] = {s.id: [] for s in stays}
    for order in orders:
        by_stay[order.stay_id].append(order)
    stay_of = {s.id: s for s in stays}
    doses = sorted((Dose(stay_of[o.stay_id], o, due) for o in orders
                    for due in due_between(o, at, at + HORIZON)),
                   key=lambda d: (d.due, d.stay.bed, d.order.id))
    return Capsule(unit, at, stays, by_stay, doses)


def _local(moment: datetime) -> str:
    return moment.astimezone(PARIS).strftime("%d/%m/%Y %H:%M")


def _allergies(stay: DpiStay) -> str:
    return ", ".join(stay.allergies) or "Aucune allergie connue"


def to_csv(capsule: Capsule) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for dose in capsule.doses:
        s = dose.stay
        writer.writerow((capsule.form_id(s), s.bed, s.id, s.ins or "", s.birth_name,
                         s.given_names, s.birth_date.strftime("%d/%m/%Y"), _allergies(s),
                         dose.order.id, dose.order.drug, dose.order.dose, _local(dose.due)))
    return out.getvalue()


_STYLE = """body{font-family:sans-serif;font-size:11pt;margin:1.5cm}
table{border-collapse:collapse;width:100%;margin-bottom:1em}
th,td{border:1px solid #444;padding:3px 5px;text-align:left;vertical-align:top}
.allergie{color:#a00;font-weight:bold}.form{page-break-before:always}
.ecrire{height:1.4em}header{border-bottom:2px solid #000;margin-bottom:1em}"""


def to_html(capsule: Capsule) -> str:
    unit = escape(capsule.unit.name)
    parts = [f"<!DOCTYPE html><html lang=\"fr\"><head><meta charset=\"utf-8\">"
             f"<title>Capsule de continuité — {unit}</title><style>{_STYLE}</style></head><body>",
             f"<header><h1>Capsule de continuité — {unit}</h1><p>Instantané en lecture seule "
             f"exporté le {_local(capsule.at)} (heure de Paris). Doses prévues jusqu'au "
             f"{_local(capsule.at + HORIZON)}. Données 100 % synthétiques.</p></header>",
             "<h2>Patients présents</h2><table><tr><th>Lit</th><th>Séjour</th><th>Nom de "
             "naissance</th><th>Prénoms</th><th>Sexe</th><th>Naissance</th><th>INS</th>"
             "<th>Allergies</th></tr>"]
    for s in capsule.stays:
        parts.append(f"<tr><td>{escape(s.bed)}</td><td>{escape(s.id)}</td>"
                     f"<td>{escape(s.birth_name)}</td><td>{escape(s.given_names)}</td>"
                     f"<td>{s.sex}</td><td>{s.birth_date:%d/%m/%Y}</td>"
                     f"<td>{escape(s.ins or 'provisoire')}</td>"
                     f"<td class=\"allergie\">{escape(_allergies(s))}</td></tr>")
    parts.append("</table><h2>Prescriptions actives</h2><table><tr><th>Lit</th><th>N° "
                 "prescription</th><th>Médicament</th><th>Posologie</th><th>Horaires</th></tr>")
    for s in capsule.stays:
        for o in capsule.orders[s.id]:
            parts.append(f"<tr><td>{escape(s.bed)}</td><td>{escape(o.id)}</td>"
                         f"<td>{escape(o.drug)}</td><td>{escape(o.dose)}</td>"
                         f"<td>{escape(', '.join(o.times))}</td></tr>")
    parts.append("</table>")
    for s in capsule.stays:
        parts.append(
            f"<section class=\"form\"><h2>Formulaire d'administration n° "
            f"{escape(capsule.form_id(s))}</h2><p>Lit {escape(s.bed)} — {escape(s.birth_name)} "
            f"{escape(s.given_names)}, né(e) le {s.birth_date:%d/%m/%Y}, INS "
            f"{escape(s.ins or 'provisoire')} — <span class=\"allergie\">Allergies : "
            f"{escape(_allergies(s))}</span></p><table><tr><th>Ligne</th><th>N° prescription"
            "</th><th>Médicament</th><th>Dose</th><th>Prise prévue</th><th>Heure réelle</th>"
            "<th>Statut (A / NA / R)</th><th>Infirmier(ère)</th></tr>")
        doses = [d for d in capsule.doses if d.stay.id == s.id]
        for line, d in enumerate(doses, 1):
            parts.append(f"<tr><td>{line}</td><td>{escape(d.order.id)}</td>"
                         f"<td>{escape(d.order.drug)}</td><td>{escape(d.order.dose)}</td>"
                         f"<td>{_local(d.due)}</td><td class=\"ecrire\"></td><td></td>"
                         "<td></td></tr>")
        parts.append("</table></section>")
    parts.append("</body></html>")
    return "".join(parts)
