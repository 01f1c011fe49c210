"""Rebuild `referentials_data/communes.csv.gz` from Etalab's `@etalab/decoupage-administratif`.

The population needs real communes (INSEE code, accented name, real postal codes, population)
for birthplaces and addresses; Faker's cities are invented. Nothing fetches at run time: this
script turns the unpacked npm package into the compact table shipped in the repository.

    cd "$(mktemp -d)" && npm pack @etalab/decoupage-administratif@6.0.0 && tar xzf *.tgz
    python -m synthetic_data.data_sources.build_communes "$PWD/package"

Rows: current communes ("C") and the municipal arrondissements of Paris, Lyon and Marseille
("ARM", with their parent commune), since births and addresses there carry the arrondissement
code (75115, 69383, 13205…). Postal codes are space-separated, the main one first.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import sys
from pathlib import Path

from synthetic_data.referentials import DATA_DIR

SOURCE = "@etalab/decoupage-administratif"
TARGET = DATA_DIR / "communes.csv.gz"
COLUMNS = ["insee", "name", "kind", "parent", "departement", "region", "zone", "postal_codes", "population"]
KINDS = {"commune-actuelle": "C", "arrondissement-municipal": "ARM"}


def rows(package: Path) -> list[list[str]]:
    """Current communes and municipal arrondissements, sorted by INSEE code."""
    entries = json.loads((package / "data" / "communes.json").read_text(encoding="utf-8"))
    out = []
    for entry in entries:
        kind = KINDS.get(entry["type"])
        if kind is None:
            continue
        out.append(
            [
                entry["code"],
                entry["nom"],
                kind,
                entry.get("commune", ""),
                entry["departement"],
                entry["region"],
                entry["zone"],
                " ".join(entry.get("codesPostaux", [])),
                str(entry.get("population", 0)),
            ]
        )
    return sorted(out)


def package_argument(argv: list[str], script: str) -> Path | None:
    """The unpacked npm package named on the command line, or None after printing the usage."""
    if len(argv) != 2:
        print(f"usage : {script} <dossier du paquet npm décompressé>", file=sys.stderr)
        return None
    return Path(argv[1])


def table_text(package: Path, comments: list[str], columns: list[str], table: list[list[str]]) -> str:
    """A referential CSV derived from the package: its source line and `comments` first."""
    version = json.loads((package / "package.json").read_text(encoding="utf-8"))["version"]
    text = io.StringIO()
    text.write(f"# source: npm {SOURCE}@{version} (Etalab, MIT), " + "\n# ".join(comments) + "\n")
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(table)
    return text.getvalue()


def main(argv: list[str]) -> int:
    package = package_argument(argv, "build_communes.py")
    if package is None:
        return 2
    text = table_text(package, ["data/communes.json"], COLUMNS, rows(package))
    # mtime=0 keeps the archive byte-identical from one rebuild to the next.
    with TARGET.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
        gz.write(text.encode("utf-8"))
    print(f"{TARGET} écrit")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
