"""Clinical code systems: their URIs, and the code lists the pathways may use.

`Coding.system` holds a key of `SYSTEMS`; exporters turn it into the URI. The code lists are
data (`pathways/codes/<system>.csv`, columns `code,display`): a pathway may only name a code
that is listed there, so every display is French and checked once, at load time.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

from synthetic_data.model import Coding

SYSTEMS: dict[str, str] = {
    "loinc": "http://loinc.org",
    "snomed": "http://snomed.info/sct",
    # CIM-10 as published by the ANS terminology server (TRE_R310, OID 2.16.840.1.113883.6.3).
    "cim10": "https://mos.esante.gouv.fr/NOS/TRE_R310-CIM10/FHIR/TRE-R310-CIM10",
    "atc": "http://www.whocc.no/atc",
    "ucum": "http://unitsofmeasure.org",
}

CODES_DIR = Path(__file__).parent / "pathways" / "codes"


class UnknownCode(KeyError):
    """A code reference that names no listed code (raised with a French message)."""


@cache
def code_table(system: str) -> dict[str, str]:
    """Map code → French display for one system, read from its CSV list."""
    path = CODES_DIR / f"{system}.csv"
    if system not in SYSTEMS or not path.exists():
        raise UnknownCode(f"système de codes inconnu « {system} » (connus : {', '.join(SYSTEMS)})")
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["code"]: row["display"] for row in csv.DictReader(handle)}


def coding(reference: str) -> Coding:
    """Build a Coding from a "system:code" reference, e.g. "loinc:4548-4"."""
    system, sep, code = reference.partition(":")
    if not sep or not code:
        raise UnknownCode(f"référence de code « {reference} » : forme attendue « système:code »")
    display = code_table(system).get(code)
    if display is None:
        raise UnknownCode(f"code « {code} » absent de la liste {system} (codes/{system}.csv)")
    return Coding(system, code, display)
