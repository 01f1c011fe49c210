"""Rebuild `referentials_data/birthplace_history.csv`: birthplace codes in force before a date.

The RNIV and the INSi record the birthplace under the INSEE code in force *at the birth date*
(Code officiel géographique, COG), not today's: a person born in Ajaccio in 1960 was born in
20004, not 2A004. Etalab's `@etalab/decoupage-administratif` (built from INSEE's COG) lists, per
current commune, its former codes (`anciensCodes`) but not their dates; this script keeps only
the former codes of the département changes whose date the law fixes:

- Seine and Seine-et-Oise (75, 78) split into 75, 78, 91, 92, 93, 94, 95 on 1968-01-01
  (loi n° 64-707 du 10 juillet 1964 portant réorganisation de la région parisienne);
- communes of Ain (01) and Isère (38) joined Rhône (69) on 1968-01-01
  (loi n° 67-1205 du 29 décembre 1967);
- Corsica (20) split into Corse-du-Sud (2A) and Haute-Corse (2B) on 1976-01-01
  (loi n° 75-356 du 15 mai 1975); the commune numbers were kept.

Mayotte (985, a collectivité until it became the 101st département on 2011-03-31, loi organique
n° 2010-1486 du 7 décembre 2010, COG code 976 since) has no `anciensCodes` in the package: its
rows map 976xx to 985xx with the same commune number, a rule written here and flagged as such in
the data. Commune mergers (communes nouvelles), whose dates the package does not give, are left
out: a birth there keeps today's code.

    cd "$(mktemp -d)" && npm pack @etalab/decoupage-administratif@6.0.0 && tar xzf *.tgz
    python -m synthetic_data.data_sources.build_birthplace_history "$PWD/package"
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from synthetic_data.data_sources.build_communes import package_argument, table_text
from synthetic_data.referentials import DATA_DIR

TARGET = DATA_DIR / "birthplace_history.csv"
COLUMNS = ["insee", "former", "until", "basis"]
# (current départements, former départements) → first day the current code applies, legal basis
CHANGES = [
    ({"75", "78", "91", "92", "93", "94", "95"}, {"75", "78"}, "1968-01-01", "loi 64-707"),
    ({"69"}, {"01", "38"}, "1968-01-01", "loi 67-1205"),
    ({"2A", "2B"}, {"20"}, "1976-01-01", "loi 75-356"),
]
MAYOTTE = ("976", "985", "2011-03-31", "loi organique 2010-1486, règle 976xx → 985xx")


def _former(entry: dict, formers: set[str]) -> str | None:
    """The former code in the old département: the one keeping the commune number, else the first
    (a commune that absorbed others before the change lists several)."""
    old = [code for code in entry.get("anciensCodes", []) if code[:2] in formers]
    same_number = [code for code in old if code[-3:] == entry["code"][-3:]]
    return (same_number or old or [None])[0]


def rows(package: Path) -> list[list[str]]:
    entries = json.loads((package / "data" / "communes.json").read_text(encoding="utf-8"))
    out = []
    for entry in entries:
        if entry["type"] != "commune-actuelle":
            continue
        for current, formers, until, basis in CHANGES:
            former = _former(entry, formers) if entry["departement"] in current else None
            if former and former[:2] != entry["code"][:2]:
                out.append([entry["code"], former, until, basis])
        if entry["departement"] == MAYOTTE[0]:
            out.append([entry["code"], MAYOTTE[1] + entry["code"][3:], MAYOTTE[2], MAYOTTE[3]])
    return sorted(out)


def main(argv: list[str]) -> int:
    package = package_argument(argv, "build_birthplace_history.py")
    if package is None:
        return 2
    comments = ["built from INSEE's COG: data/communes.json 'anciensCodes'; dates: the laws named in "
                "`basis` (see build_birthplace_history.py)",
                "insee: today's code; former: the code in force for a birth before `until`"]
    TARGET.write_text(table_text(package, comments, COLUMNS, rows(package)), encoding="utf-8")
    print(f"{TARGET} écrit")
    return 0

if __name__ == "__main__":
    sys.exit(main(sys.argv))
