"""Rebuild `referentials_data/mortality.csv` from INSEE's 2019 death rates (`insee_death_rates_2019.csv`).

INSEE's table gives daily hazard rates by sex and single year of age 0-99; the engine reads the
probability of dying within the year, q = 1 - exp(-365.25 x rate), per 1,000, one row an age (the
last row, 99, stands for every age above). The life expectancy at birth the table implies is
printed and written in the header, to compare with INSEE's published figure.

    python -m synthetic_data.data_sources.build_mortality
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

from synthetic_data.referentials import DATA_DIR

SOURCE = Path(__file__).with_name("insee_death_rates_2019.csv")
TARGET = DATA_DIR / "mortality.csv"
DAYS = 365.25


def yearly_hazards() -> dict[str, list[float]]:
    """Sex → yearly hazard by age 0..99, from INSEE's daily rates."""
    lines = [line for line in SOURCE.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    rates: dict[str, dict[int, float]] = {"male": {}, "female": {}}
    for row in csv.DictReader(lines):
        rates[row["sex"]][int(row["age"])] = float(row["value"]) * DAYS
    return {sex: [by_age[age] for age in range(len(by_age))] for sex, by_age in rates.items()}


def life_expectancy(hazards: list[float]) -> float:
    """Period life expectancy at birth: constant hazard within each year of age, the last one open."""
    alive, years = 1.0, 0.0
    for hazard in hazards[:-1]:
        survive = math.exp(-hazard)
        years += alive * (1 - survive) / hazard
        alive *= survive
    return years + alive / hazards[-1]


def main() -> None:
    hazards = yearly_hazards()
    expectancy = {sex: life_expectancy(h) for sex, h in hazards.items()}
    with TARGET.open("w", encoding="utf-8", newline="") as out:
        out.write(
            "# Probability of dying within the year by sex and age (per 1,000 people alive at that age),\n"
            "# France (metropolitan), 2019: q = 1 - exp(-365.25 x daily rate) from INSEE's table fm_t68\n"
            "# (data_sources/insee_death_rates_2019.csv, which names its source), rebuilt by\n"
            "# `python -m synthetic_data.data_sources.build_mortality`. Implied life expectancy at birth:\n"
            f"# {expectancy['male']:.1f} years for men, {expectancy['female']:.1f} for women (INSEE, 2019: 79.7 and 85.6).\n"
            "# age_from: the age of the row (the last row, 99, holds for every age above).\n"
        )
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["age_from", "male", "female"])
        for age, (male, female) in enumerate(zip(hazards["male"], hazards["female"], strict=True)):
            writer.writerow([age, round(1000 * -math.expm1(-male), 3), round(1000 * -math.expm1(-female), 3)])
    print(f"{TARGET} écrit ; espérance de vie à la naissance : hommes {expectancy['male']:.1f} ans, "
          f"femmes {expectancy['female']:.1f} ans")


if __name__ == "__main__":
    main()
