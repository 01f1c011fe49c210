"""Safe prescribing: the contraindications and dose rules every prescription passes.

The rules (`referentials.prescribing_rules()`, a data file with a source per rule) say which
drugs are not prescribed below an eGFR or during a pregnancy, and whether they are stopped for
good or suspended until the situation ends. `MedicationOrder` consults them for every new order
and every renewal, so no pathway can prescribe metformin at an eGFR of 25 or ramipril to a
pregnant woman, whichever pathway asks.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from synthetic_data.referentials import PrescribingRule, prescribing_rules

if TYPE_CHECKING:
    from synthetic_data.pathways.simulation import PatientRun

EGFR_KEY = "loinc:62238-1"
PREGNANCY_KEY = "cim10:Z34.9"


def applies(rule: PrescribingRule, run: PatientRun, now: datetime) -> bool:
    """Does the patient's situation now meet the rule? eGFR: the latest measured one (what the
    prescriber reads), else the true renal function (known from before the history)."""
    if rule.situation == "pregnancy":
        return PREGNANCY_KEY in run.active
    if rule.situation == "egfr_below" and rule.threshold is not None:
        measured = run.series.get(EGFR_KEY)
        egfr = measured[-1][1] if measured else run.physiology_at(now).gfr
        return egfr < rule.threshold
    raise ValueError(f"règle de prescription inconnue : {rule}")


def blocking_rule(run: PatientRun, atc: str, now: datetime) -> PrescribingRule | None:
    """The first rule forbidding drug `atc` for this patient now, or None."""
    for rule in prescribing_rules():
        if atc.startswith(rule.atc_prefix) and applies(rule, run, now):
            return rule
    return None
