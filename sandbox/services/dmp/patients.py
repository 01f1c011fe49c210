"""Finding the patient a request names: by INS (with its OID) or by local id, qualified only.

The DMP (and the e-prescription service, through dmp/feed.py) is fed and consulted only
with a qualified INS: an unknown INS is a 404, a known identity whose status is not QUAL a 422,
each with the French reason and what to do about it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, bindparam, select
from sqlalchemy.orm import Session

from sandbox.errors import ServiceError
from sandbox.services.dmp.models import DmpAccessRow, DmpPatientRow
from synthetic_data import nir

# The sandbox only ever carries test (1.4.10) and demo (1.4.11) INS; real OIDs are refused.
ACCEPTED_INS_SYSTEMS = (nir.OID_INS_TEST, nir.OID_INS_DEMO)
REAL_INS_SYSTEMS = (nir.OID_INS_NIR, nir.OID_INS_NIA)


def parse_ins(value: str, *, system: str | None = None, where: str = "patient") -> str:
    """A well-formed INS matricule from `value` ("<system>|<ins>" or bare); 400 otherwise."""
    if system is None and "|" in value:
        system, _, value = value.partition("|")
    value = value.strip().upper()
    if system:
        if system in REAL_INS_SYSTEMS:
            raise ServiceError(
                400, f"« {where} » : le bac à sable ne contient que des identités de test ; "
                f"utilisez le système {nir.OID_INS_TEST} (INS de test), pas {system}.",
                expression=[where])
        if system not in ACCEPTED_INS_SYSTEMS:
            raise ServiceError(
                400, f"« {where} » : système d'identifiant « {system} » inconnu ; l'INS se "
                f"donne avec le système {nir.OID_INS_TEST}.", expression=[where])
    problem = nir.matricule_problem(value)
    if problem is not None:
        raise ServiceError(
            400, f"« {where} » : « {value} » n'est pas une INS valide. {problem}",
            expression=[where])
    return value


@dataclass(frozen=True)
class Named:
    """A patient a request names, and the patient's choice about the professional asking
    (`autorise`, `oppose` or None): the DMP's consultation rules need both."""

    patient: DmpPatientRow
    choice: str | None


def _lookup(match: ColumnElement[bool]) -> Select:
    """A patient and their choice about one professional in one statement, built once (the
    lookup opens most DMP requests)."""
    return (select(DmpPatientRow, DmpAccessRow.decision)
            .outerjoin(DmpAccessRow, and_(
                DmpAccessRow.tenant == DmpPatientRow.tenant,
                DmpAccessRow.patient_id == DmpPatientRow.patient_id,
                DmpAccessRow.practitioner_id == bindparam("practitioner")))
            .where(DmpPatientRow.tenant == bindparam("tenant"), match))


_BY_INS = _lookup(DmpPatientRow.ins == bindparam("key"))
_BY_ID = _lookup(DmpPatientRow.patient_id == bindparam("key"))


def _find(session: Session, statement: Select, tenant: str, key: str,
          practitioner_id: str | None) -> Named | None:
    found = session.execute(statement, {"tenant": tenant, "key": key,
                                        "practitioner": practitioner_id}).first()
    return None if found is None else Named(found[0], found[1])


def _require_qualified(named: Named, shown: str) -> Named:
    row = named.patient
    if row.identity_status != "QUAL":
        raise ServiceError(
            422, f"L'identité du patient {shown} n'est pas qualifiée (statut {row.identity_status}) : "
            "le DMP et l'e-prescription n'acceptent qu'une INS qualifiée. Récupérez ou vérifiez "
            "l'INS auprès du téléservice INSi et contrôlez une pièce d'identité, puis réessayez.",
            code="business-rule")
    return named


def by_ins(session: Session, tenant: str, ins: str, *,
           practitioner_id: str | None = None) -> Named:
    named = _find(session, _BY_INS, tenant, ins, practitioner_id)
    if named is None:
        raise ServiceError(
            404, f"Aucun patient n'a l'INS {ins} dans ce bac à sable : vérifiez l'INS "
            "(téléservice INSi) ou le bac à sable utilisé.")
    return _require_qualified(named, ins)


def by_id(session: Session, tenant: str, patient_id: str, *,
          practitioner_id: str | None = None) -> Named:
    named = _find(session, _BY_ID, tenant, patient_id, practitioner_id)
    if named is None:
        raise ServiceError(404, f"Patient « {patient_id} » introuvable dans ce bac à sable.")
    return _require_qualified(named, patient_id)


def from_reference(session: Session, tenant: str, value: str, where: str, *,
                   practitioner_id: str | None = None) -> Named:
    """A patient named by "Patient/<id>", "<system>|<INS>" or a bare INS (with their choice
    about `practitioner_id`)."""
    if value.startswith("Patient/"):
        return by_id(session, tenant, value.removeprefix("Patient/"),
                     practitioner_id=practitioner_id)
    return by_ins(session, tenant, parse_ins(value, where=where),
                  practitioner_id=practitioner_id)
