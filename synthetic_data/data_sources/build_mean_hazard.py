"""Rebuild `referentials_data/mortality_mean_hazard.csv`: the simulated population's mean hazard
ratio by sex and 5-year age band.

INSEE's life table is the death rate of everyone, sick and well; the engine multiplies a person's
risk by the hazard ratio of their active conditions, so it first divides the table by the mean of
that multiplier over the population of the same sex and age. The mean is measured here, not
assumed: a calibration sample alive over the history window (`calibration.pyramid_sample`) is
simulated by the engine, deaths included, and every year at risk counts its fraction of a year
times the hazard ratio of the conditions active at its start, exactly as `mortality.draw_death`
weighs it. The engine reads the file it measures, so the script runs the sample twice (the
first pass with the file in place, the second with the first pass's figures); rerun it when a
pathway or a hazard ratio changes (tests/synthetic_data/test_mortality.py notices the drift).

    python -m synthetic_data.data_sources.build_mean_hazard
"""

from __future__ import annotations

import csv
import random
from collections import defaultdict

from synthetic_data import referentials as ref
from synthetic_data.model import Sex
from synthetic_data.pathways import PathwayEngine
from synthetic_data.pathways.calibration import StubContext, age_at, pyramid_sample
from synthetic_data.pathways.engine import REFERENCE_END, history_start
from synthetic_data.pathways.mortality import YEAR, hazard_ratio, years_at_risk

TARGET = ref.DATA_DIR / "mortality_mean_hazard.csv"
SAMPLE, SEED, PASSES = 40_000, 1789, 2
BAND = 5  # years of age per row
LAST = 95  # the last row holds for every age above


def measure() -> dict[tuple[Sex, int], float]:
    """(sex, first age of the band) → mean hazard ratio over the sample's years at risk."""
    weighted: dict[tuple[Sex, int], float] = defaultdict(float)
    years: dict[tuple[Sex, int], float] = defaultdict(float)
    engine, ctx = PathwayEngine.load(), StubContext()
    for patient in pyramid_sample(SAMPLE, seed=SEED):
        engine.run(patient, random.Random(f"mean-hazard:{patient.id}"), ctx)
        start = history_start(patient.identity.birth_date, REFERENCE_END)
        for when, following in years_at_risk(start, patient.deceased or REFERENCE_END):
            key = (patient.identity.sex, min(LAST, age_at(patient, when) // BAND * BAND))
            span = (following - when) / YEAR
            weighted[key] += span * hazard_ratio(patient, when)
            years[key] += span
    return {key: weighted[key] / years[key] for key in years}


def write(means: dict[tuple[Sex, int], float]) -> None:
    with TARGET.open("w", encoding="utf-8", newline="") as out:
        out.write(
            "# Mean all-cause hazard ratio of the simulated population by sex and age band: the mean, over\n"
            "# the person-years lived at these ages, of the product of the hazard ratios of the active\n"
            "# conditions (mortality_hazard_ratios.csv). The engine divides INSEE's life table\n"
            "# (mortality.csv) by it, so the population as a whole dies at the table's rates.\n"
            f"# Measured on {SAMPLE:,} simulated histories (seed {SEED}) by\n"
            "# `python -m synthetic_data.data_sources.build_mean_hazard`; derived data, no outside source.\n"
            f"# age_from: first age of a {BAND}-year band (the last row, {LAST}, holds for every age above).\n"
        )
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["age_from", "male", "female"])
        for age in range(0, LAST + 1, BAND):
            writer.writerow([age, round(means[(Sex.MALE, age)], 4), round(means[(Sex.FEMALE, age)], 4)])


def main() -> None:
    for step in range(PASSES):
        write(measure())
        ref.mean_hazard_table.cache_clear()
        print(f"passe {step + 1}/{PASSES} : {TARGET} écrit")


if __name__ == "__main__":
    main()
