"""Finding the patient a request names: by INS (with its OID) or by local id, qualified only.

The DMP (and the e-prescription service, through dmp/feed.py) is fed and consulted only
with a qualified INS: an unknown INS is a 404, a known identity whose status is not QUAL a 422,
each with the French reason and what to do about it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox.errors import ServiceError
from sandbox.services.dmp.models import DmpPatientRow
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


def _require_qualified(row: DmpPatientRow, shown: str) -> DmpPatientRow:
    if row.identity_status != "QUAL":
        raise ServiceError(
            422, f"L'identité du patient {shown} n'est pas qualifiée (statut {row.identity_status}) : "
            "le DMP et l'e-prescription n'acceptent qu'une INS qualifiée. Récupérez ou vérifiez "
            "l'INS auprès du téléservice INSi et contrôlez une pièce d'identité, puis réessayez.",
            code="business-rule")
    return row


def by_ins(session: Session, tenant: str, ins: str) -> DmpPatientRow:
    row = session.scalars(select(DmpPatientRow).where(
        DmpPatientRow.tenant == tenant, DmpPatientRow.ins == ins)).first()
    if row is None:
        raise ServiceError(
            404, f"Aucun patient n'a l'INS {ins} dans ce bac à sable : vérifiez l'INS "
            "(téléservice INSi) ou le bac à sable utilisé.")
    return _require_qualified(row, ins)


def by_id(session: Session, tenant: str, patient_id: str) -> DmpPatientRow:
    row = session.get(DmpPatientRow, (tenant, patient_id))
    if row is None:
        raise ServiceError(404, f"Patient « {patient_id} » introuvable dans ce bac à sable.")
    return _require_qualified(row, patient_id)


def from_reference(session: Session, tenant: str, value: str, where: str) -> DmpPatientRow:
    """A patient named by "Patient/<id>", "<system>|<INS>" or a bare INS."""
    if value.startswith("Patient/"):
        return by_id(session, tenant, value.removeprefix("Patient/"))
    return by_ins(session, tenant, parse_ins(value, where=where))
