"""Rebuild `referentials_data/surnames.csv` from Faker's fr_FR surname tuple.

Faker keeps surnames as data (its `person/fr_FR` provider holds no logic); its fr_FR list follows
the frequency order of French surnames (Martin, Bernard, Thomas…), so the rank becomes a
Zipf-like weight. Names a generator must control (apostrophes, particles, accents) live in the
hand-curated `surnames_pitfalls.csv` beside it.

    python -m synthetic_data.data_sources.build_surnames
"""

from __future__ import annotations

import csv
import sys

from synthetic_data.referentials import DATA_DIR

try:
    import faker
    from faker.providers.person.fr_FR import Provider
except ImportError:
    sys.exit("build_surnames a besoin de Faker, dont la population elle-même se passe : pip install Faker")

TARGET = DATA_DIR / "surnames.csv"


def main() -> None:
    seen: set[str] = set()
    with TARGET.open("w", encoding="utf-8", newline="") as out:
        out.write(f"# source: Faker {faker.VERSION} fr_FR person provider (MIT), rank-weighted\n")
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["name", "weight"])
        for rank, name in enumerate(Provider.last_names, start=1):
            if name in seen:
                continue
            seen.add(name)
            writer.writerow([name, max(1, round(1000 / rank**0.6))])
    print(f"{TARGET} écrit")


if __name__ == "__main__":
    main()
