"""Flat tables (one row per object) shared by the CSV export and the notebook DataFrames."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime

from synthetic_data import model

Row = tuple


def _iso(value: date | datetime | None) -> str:
    return value.isoformat() if value else ""


def _patient_rows(p: model.Patient) -> Iterator[Row]:
    i = p.identity
    yield (
        p.id, i.birth_name, " ".join(i.given_names), i.used_name or "", i.used_given_name or "",
        i.sex.value, i.birth_date.isoformat(), i.birthplace, i.status.value, i.ins or "",
        p.address.line, p.address.postal_code, p.address.city, p.address.insee, p.phone,
        p.vitale, p.gp_id or "", _iso(p.deceased), "|".join(p.pathways),
    )


def _encounter_rows(p: model.Patient) -> Iterator[Row]:
    for e in p.encounters:
        reason = e.reason
        yield (
            e.id, p.id, e.kind, _iso(e.start), _iso(e.end), reason.code if reason else "",
            reason.display if reason else "", e.practitioner_id, e.organization_id, e.pathway,
        )


def _condition_rows(p: model.Patient) -> Iterator[Row]:
    for c in p.conditions:
        first = c.codes[0]
        yield (
            c.id, p.id, first.system, first.code, first.display, _iso(c.onset), _iso(c.resolved),
            c.encounter_id or "",
        )


def _observation_rows(p: model.Patient) -> Iterator[Row]:
    for o in p.observations:
        if o.components:
            for code, value, unit in o.components:
                yield (
                    o.id, p.id, o.category, code.code, code.display, _iso(o.effective), value,
                    unit, o.interpretation or "", o.encounter_id or "",
                )
        else:
            yield (
                o.id, p.id, o.category, o.code.code, o.code.display, _iso(o.effective), o.value,
                o.unit or "", o.interpretation or "", o.encounter_id or "",
            )


def _medication_rows(p: model.Patient) -> Iterator[Row]:
    for m in p.medications:
        yield (
            m.id, p.id, m.medication.code, m.drug_name, m.dosage, _iso(m.authored),
            m.duration_days, m.requester_id, m.encounter_id or "",
        )


def _immunization_rows(p: model.Patient) -> Iterator[Row]:
    for i in p.immunizations:
        yield (
            i.id, p.id, i.vaccine.code, i.vaccine.display, _iso(i.date), i.performer_id,
            i.encounter_id or "",
        )


def _document_rows(p: model.Patient) -> Iterator[Row]:
    for d in p.documents:
        yield (
            d.id, p.id, d.type.code, d.class_code, d.title, _iso(d.date), d.author_id,
            d.confidentiality, d.encounter_id or "", len(d.text),
        )


PatientTable = tuple[tuple[str, ...], Callable[[model.Patient], Iterator[Row]]]

# Per-patient tables: name -> (columns, rows of one patient).
PATIENT_TABLES: dict[str, PatientTable] = {
    "patients": (
        (
            "patient_id", "birth_name", "given_names", "used_name", "used_given_name", "sex",
            "birth_date", "birthplace", "identity_status", "ins", "address", "postal_code",
            "city", "insee", "phone", "vitale", "gp_id", "deceased", "pathways",
        ),
        _patient_rows,
    ),
    "encounters": (
        (
            "encounter_id", "patient_id", "kind", "start", "end", "reason_code",
            "reason_display", "practitioner_id", "organization_id", "pathway",
        ),
        _encounter_rows,
    ),
    "conditions": (
        (
            "condition_id", "patient_id", "system", "code", "display", "onset", "resolved",
            "encounter_id",
        ),
        _condition_rows,
    ),
    "observations": (
        (
            "observation_id", "patient_id", "category", "code", "display", "effective",
            "value", "unit", "interpretation", "encounter_id",
        ),
        _observation_rows,
    ),
    "medications": (
        (
            "medication_id", "patient_id", "atc", "drug_name", "dosage", "authored",
            "duration_days", "requester_id", "encounter_id",
        ),
        _medication_rows,
    ),
    "immunizations": (
        (
            "immunization_id", "patient_id", "vaccine_code", "vaccine", "date", "performer_id",
            "encounter_id",
        ),
        _immunization_rows,
    ),
    "documents": (
        (
            "document_id", "patient_id", "type_code", "class_code", "title", "date", "author_id",
            "confidentiality", "encounter_id", "text_length",
        ),
        _document_rows,
    ),
}

PRACTITIONER_COLUMNS = (
    "practitioner_id", "rpps", "id_nat_ps", "birth_name", "given_name", "sex", "profession",
    "specialty", "organization_id", "mssante", "phone",
)
ORGANIZATION_COLUMNS = (
    "organization_id", "finess", "finess_legal", "name", "kind", "address", "postal_code",
    "city", "insee", "mssante", "phone",
)


def practitioner_row(pr: model.Practitioner) -> Row:
    return (
        pr.id, pr.rpps, pr.id_nat_ps, pr.birth_name, pr.given_name, pr.sex.value, pr.profession,
        pr.specialty or "", pr.organization_id, pr.mssante, pr.phone,
    )


def organization_row(o: model.Organization) -> Row:
    a = o.address
    return (
        o.id, o.finess, o.finess_legal, o.name, o.kind, a.line, a.postal_code, a.city, a.insee,
        o.mssante, o.phone,
    )
