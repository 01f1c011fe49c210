"""The identity ground truth: which pitfalls each patient carries, and their true traits.

`ins` is what the local record carries (RECUP, QUAL), `matricule` what the national base holds
(every identity but a provisional one); `birth_date` is written as the INSi does ("1950-00-00"
when only the year is known). Pitfalls are a set in the model; they are sorted here because set order depends on the
process's string hashing and the output must be byte-identical for a seed.
"""

from __future__ import annotations

from synthetic_data import model

COLUMNS = (
    "patient_id", "pitfalls", "related_ids", "identity_status", "ins", "birth_name",
    "given_names", "used_name", "used_given_name", "sex", "birth_date", "birthplace", "vitale",
    "matricule", "written_birth_name", "written_given_names",
)


def row(p: model.Patient) -> tuple:
    i = p.identity
    return (
        p.id, "|".join(sorted(f.value for f in p.pitfalls)), "|".join(p.related_to),
        i.status.value, i.ins or "", i.birth_name, " ".join(i.given_names), i.used_name or "",
        i.used_given_name or "", i.sex.value, i.ins_birth_date, i.birthplace, p.vitale,
        i.matricule or "", i.display_birth_name, " ".join(i.display_given_names),
    )
