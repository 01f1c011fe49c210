"""A patient's latent physiology: the hidden quantities their lab results are measured from.

Without it each lab value was an independent draw, so a creatinine of 55 µmol/L could sit
beside an eGFR of 27. Here a patient carries a true renal function (GFR, mL/min/1.73 m²) and a
glycaemic control (mean plasma glucose, mmol/L), drawn once from their own `random.Random`,
drifting with age and with the conditions the pathways diagnose, and moved by the pathways
(`effects:` on ConditionOnset and MedicationOrder). Observation states with `derived:` measure
them: creatinine by inverting CKD-EPI 2021, eGFR by CKD-EPI 2021 from that measured creatinine,
HbA1c from mean glucose by the ADAG relation, each with a measurement noise.
"""

from __future__ import annotations

import math
import random
from datetime import datetime
from typing import Any

from synthetic_data.model import Sex
from synthetic_data.pathways.errors import SpecError
from synthetic_data.pathways.units import number

# CKD-EPI 2021 creatinine equation, without race (Inker LA et al., « New Creatinine- and
# Cystatin C-Based Equations to Estimate GFR without Race », N Engl J Med 2021;385:1737-49),
# recommended by the Société francophone de néphrologie and reported by French laboratories:
# eGFR = 142 × min(Scr/κ, 1)^α × max(Scr/κ, 1)^-1.200 × 0.9938^âge × 1.012 [femme],
# Scr in mg/dL, κ = 0.7 (F) / 0.9 (M), α = -0.241 (F) / -0.302 (M).
CKD_EPI_2021 = {Sex.FEMALE: (0.7, -0.241, 1.012), Sex.MALE: (0.9, -0.302, 1.0)}
CKD_EPI_HIGH_EXPONENT = -1.200
UMOL_PER_MG_DL = 88.4  # creatinine: 1 mg/dL = 88.4 µmol/L

# ADAG study (Nathan DM et al., « Translating the A1C assay into estimated average glucose
# values », Diabetes Care 2008;31:1473-8): mean glucose (mmol/L) = 1.59 × HbA1c (%) - 2.59.
ADAG_SLOPE, ADAG_INTERCEPT = 1.59, -2.59
MMOL_TO_G_PER_L = 0.18016  # glucose molar mass 180.16 g/mol
# Fasting glucose sits below the day's mean (post-prandial peaks): about 0.87 × the mean, the
# ratio that puts a mean of 9.8 mmol/L (HbA1c 7.8 %) at the 1.5 g/L seen at diagnosis.
FASTING_TO_MEAN = 0.87

# Within-subject biological plus analytical variation (EFLM biological variation database):
# creatinine ~4.5 % + ~2 %, HbA1c ~1.5 % + ~1.5 %, fasting glucose ~5 % + ~2 %.
MEASUREMENT_CV = {"creatinine": 0.05, "hba1c": 0.02, "glucose": 0.06}

# True GFR at the start: ~115 mL/min/1.73 m² in young adults, losing ~1 mL/min per year after
# 40 (Delanaye P et al., « Normal reference values for glomerular filtration rate: what do we
# really know? », Nephrol Dial Transplant 2012;27:2664-72), with a between-person spread.
GFR_YOUNG, GFR_SD, GFR_DECLINE_FROM_AGE = 115.0, 14.0, 40
GFR_AGE_DECLINE = 1.0  # mL/min/1.73 m² per year after 40
GFR_FLOOR = 5.0
# Faster decline with the conditions diagnosed (mL/min/1.73 m² per year, on top of age): about
# 2 more in type 2 diabetes, 2.5 in heart failure (KDIGO 2024 CKD guideline, progression data).
GFR_CONDITION_DECLINE = {"cim10:E11.9": 2.0, "cim10:I50.9": 2.5}
# Mean plasma glucose of a person without diabetes (HbA1c ~5.3 %), and the slow rise of
# untreated type 2 diabetes (UKPDS: HbA1c +0.2 point per year whatever the treatment).
GLUCOSE_NORMAL, GLUCOSE_SD = 5.9, 0.4
GLUCOSE_CONDITION_RISE = {"cim10:E11.9": 0.2 * ADAG_SLOPE}  # mmol/L per year

VARIABLES = ("gfr", "glucose")  # what `effects:` may move
DERIVED = ("creatinine", "egfr", "hba1c", "glucose")  # what `derived:` may measure
CREATININE_KEY = "loinc:2160-0"


def ckd_epi_2021(creatinine_umol: float, age: int, sex: Sex) -> float:
    """eGFR (mL/min/1.73 m²) from serum creatinine (µmol/L), age (years) and sex."""
    kappa, alpha, female = CKD_EPI_2021[sex]
    ratio = creatinine_umol / UMOL_PER_MG_DL / kappa
    return 142 * min(ratio, 1) ** alpha * max(ratio, 1) ** CKD_EPI_HIGH_EXPONENT * 0.9938**age * female


def creatinine_for_gfr(gfr: float, age: int, sex: Sex) -> float:
    """Serum creatinine (µmol/L) at which CKD-EPI 2021 gives `gfr`: the equation inverted."""
    kappa, alpha, female = CKD_EPI_2021[sex]
    ratio = gfr / (142 * 0.9938**age * female)
    scaled = ratio ** (1 / alpha) if ratio >= 1 else ratio ** (1 / CKD_EPI_HIGH_EXPONENT)
    return scaled * kappa * UMOL_PER_MG_DL


def hba1c_for_glucose(mean_glucose: float) -> float:
    """HbA1c (%) from mean plasma glucose (mmol/L), ADAG relation inverted."""
    return (mean_glucose - ADAG_INTERCEPT) / ADAG_SLOPE


class Effect:
    """A shift of one latent variable, fixed (`-1.6`) or drawn (`{mean, sd}`), from YAML."""

    def __init__(self, variable: str, spec: Any) -> None:
        if variable not in VARIABLES:
            raise SpecError(f"effet sur « {variable} » inconnu (possibles : {', '.join(VARIABLES)})")
        self.variable = variable
        if isinstance(spec, dict):
            self.mean, self.sd = number(spec, "mean"), number(spec, "sd")
        else:
            self.mean, self.sd = number({"shift": spec}, "shift"), 0.0

    def draw(self, rng: random.Random) -> float:
        return rng.gauss(self.mean, self.sd) if self.sd else self.mean


def effects(spec: Any) -> list[Effect]:
    if spec is None:
        return []
    if not isinstance(spec, dict):
        raise SpecError("champ « effects » : {gfr: …, glucose: …} attendu")
    return [Effect(variable, value) for variable, value in spec.items()]


class Physiology:
    """One patient's latent state, advanced lazily to the time it is read."""

    __slots__ = ("age_at", "drug_shifts", "gfr", "glucose", "sex", "slope", "updated")

    def __init__(self, rng: random.Random, sex: Sex, age_at: Any, start: datetime) -> None:
        self.sex, self.age_at, self.updated = sex, age_at, start
        age = age_at(start)
        self.gfr = max(GFR_FLOOR, rng.gauss(GFR_YOUNG - GFR_AGE_DECLINE * max(0, age - GFR_DECLINE_FROM_AGE), GFR_SD))
        self.slope = max(0.0, rng.gauss(GFR_AGE_DECLINE, 0.4))  # this person's own ageing
        self.glucose = rng.gauss(GLUCOSE_NORMAL, GLUCOSE_SD)  # untreated mean glucose
        self.drug_shifts: dict[str, float] = {}  # ATC code → its effect on glucose while taken

    def advance(self, now: datetime, active: dict[str, Any]) -> None:
        """Let time pass since the last read: ageing kidneys, conditions' own course."""
        years = (now - self.updated).days / 365.25
        if years <= 0:
            return
        self.updated = now
        decline = (self.slope if self.age_at(now) >= GFR_DECLINE_FROM_AGE else 0.0) + sum(
            rate for key, rate in GFR_CONDITION_DECLINE.items() if key in active
        )
        self.gfr = max(GFR_FLOOR, self.gfr - decline * years)
        self.glucose += years * sum(rate for key, rate in GLUCOSE_CONDITION_RISE.items() if key in active)

    def shift(self, effect: Effect, rng: random.Random, drug: str | None = None) -> None:
        """Apply a pathway's effect; a drug's glucose effect lasts while the drug is taken."""
        value = effect.draw(rng)
        if effect.variable == "glucose" and drug is not None:
            self.drug_shifts[drug] = value
        elif effect.variable == "glucose":
            self.glucose += value
        else:
            self.gfr = max(GFR_FLOOR, self.gfr + value)

    def mean_glucose(self, treated: set[str]) -> float:
        """Mean glucose under the drugs currently taken (never below a physiological floor)."""
        return max(4.5, self.glucose + sum(v for atc, v in self.drug_shifts.items() if atc in treated))

    def measure(self, what: str, rng: random.Random, now: datetime, treated: set[str],
                series: dict[str, list[tuple[datetime, float]]]) -> float:
        """A lab value measured now, with its noise; eGFR is computed from the last creatinine."""
        age = self.age_at(now)
        if what == "egfr":
            creatinine = series.get(CREATININE_KEY)
            if not creatinine:
                raise SpecError("DFG (derived: egfr) sans créatininémie mesurée avant")
            return ckd_epi_2021(creatinine[-1][1], age, self.sex)
        if what == "creatinine":
            true = creatinine_for_gfr(self.gfr, age, self.sex)
        elif what == "hba1c":
            true = hba1c_for_glucose(self.mean_glucose(treated))
        else:
            true = self.mean_glucose(treated) * FASTING_TO_MEAN * MMOL_TO_G_PER_L
        return true * math.exp(rng.gauss(0.0, MEASUREMENT_CV[what]))
