"""The identity ground truth: which pitfalls each patient carries, and their true traits.

Pitfalls are a set in the model; they are sorted here because set order depends on the
process's string hashing and the output must be byte-identical for a seed.
"""

from __future__ import annotations

from synthetic_data import model

COLUMNS = (
    "patient_id", "pitfalls", "related_ids", "identity_status", "ins", "birth_name",
    "given_names", "used_name", "used_given_name", "sex", "birth_date", "birthplace", "vitale",
)


def row(p: model.Patient) -> tuple:
    i = p.identity
    return (
        p.id, "|".join(sorted(f.value for f in p.pitfalls)), "|".join(p.related_to),
        i.status.value, i.ins or "", i.birth_name, " ".join(i.given_names), i.used_name or "",
        i.used_given_name or "", i.sex.value, i.birth_date.isoformat(), i.birthplace, p.vitale,
    )
