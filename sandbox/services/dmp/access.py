"""The DMP's consultation rules, on top of the access matrix (design.md, "DMP rules").

Order of the checks: the profession may read the DMP at all (matrix) → the patient has not
closed the DMP → has not opposed this professional → the professional is in the care team
(médecin traitant, author of one of the patient's documents, authorised by the patient),
otherwise explicit consent is missing unless the access is a justified "bris de glace" the
patient has not refused in advance.
Per document: the class must be readable by the profession (matrix), MASQUE_PS hides a
document from professionals other than the médecin traitant and its author, INVISIBLE_PATIENT
hides it from the patient.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

from fastapi import Request
from sqlalchemy import Row, Text, and_, bindparam, cast, false, or_, select, true

from sandbox import policy
from sandbox.errors import ServiceError
from sandbox.free_text import reason_problem
from sandbox.injection import ServiceContext
from sandbox.services.dmp.models import DmpAccessRow, DmpDocumentRow, DmpPatientRow

BREAK_GLASS_HEADER = "X-Bris-De-Glace"
BREAK_GLASS_PARAM = "_bris_de_glace"
PROFESSIONAL_ROLES = ("medecin", "sage_femme", "pharmacien", "infirmier", "kine")


@dataclass(frozen=True)
class Access:
    """How the actor reaches this patient's DMP."""

    patient: DmpPatientRow
    basis: str  # patient | medecin_traitant | equipe_de_soins | autorise | bris_de_glace | animateur
    is_gp: bool = False
    break_glass_reason: str | None = None

    @property
    def is_patient(self) -> bool:
        return self.basis == "patient"


def break_glass_reason(request: Request) -> str | None:
    """The emergency reason given by header (percent-encoded UTF-8 allowed) or parameter."""
    value = request.headers.get(BREAK_GLASS_HEADER)
    if value is None:
        value = request.query_params.get(BREAK_GLASS_PARAM)
    if value is None:
        return None
    return unquote(value).strip()


def role_reads_dmp(role: str, action: str = "dmp.document.read") -> bool:
    return any(role in rule.roles for rule in policy.matrix().rules[action])


def choice_of(ctx: ServiceContext, patient: DmpPatientRow) -> str | None:
    """The patient's choice about the actor (`autorise`, `oppose` or None), for a patient not
    found with it (see patients.Named)."""
    pid = ctx.actor.practitioner_id
    choice = ctx.session.get(DmpAccessRow, (ctx.tenant, patient.patient_id, pid)) if pid else None
    return None if choice is None else choice.decision


def in_care_team(ctx: ServiceContext, patient: DmpPatientRow, choice: str | None) -> str | None:
    """Why the actor is in the patient's care team, or None."""
    pid = ctx.actor.practitioner_id
    if not pid:
        return None
    if patient.gp_id == pid:
        return "medecin_traitant"
    if choice == "autorise":
        return "autorise"
    authored = ctx.session.scalars(select(DmpDocumentRow.id).where(
        DmpDocumentRow.tenant == ctx.tenant, DmpDocumentRow.patient_id == patient.patient_id,
        DmpDocumentRow.author_id == pid).limit(1)).first()
    return "equipe_de_soins" if authored else None


def consult(ctx: ServiceContext, patient: DmpPatientRow, action: str, *, choice: str | None,
            emergency: str | None, target: str | None = None) -> Access:
    """Decide whether the actor may consult this patient's DMP (`choice`: the patient's about
    the actor); refusals are traced."""
    actor = ctx.actor
    trace = {"target": target, "patient": patient.patient_id}

    def refuse(status: int, text: str, code: str = "forbidden") -> ServiceError:
        return ctx.refuse(action, ServiceError(status, text, code=code), **trace)

    if actor.role == "facilitateur":
        raise refuse(403, policy.matrix().refusals["dmp.document.read"])
    if actor.role == "patient":
        if actor.patient_id != patient.patient_id:
            raise refuse(403, "Un patient ne consulte que son propre DMP (Mon espace santé).")
        return Access(patient, "patient")
    if not role_reads_dmp(actor.role):
        raise refuse(403, policy.matrix().refusals["dmp.document.read"])
    if patient.opposed:
        raise refuse(403, "Le patient a fermé son DMP ou s'y est opposé : aucun professionnel "
                          "ne peut le consulter ni l'alimenter.")
    if choice == "oppose":
        raise refuse(403, "Le patient s'est opposé à votre accès à son DMP : vous ne pouvez pas "
                          "le consulter (même en urgence).")
    basis = in_care_team(ctx, patient, choice)
    if emergency is not None:
        if not policy.can(actor, "dmp.break_glass").allowed:
            raise refuse(403, policy.matrix().refusals["dmp.break_glass"])
        if patient.break_glass_refused:
            raise refuse(403, "Le patient a refusé par avance tout accès en urgence (« bris de "
                              "glace ») à son DMP, depuis Mon espace santé : ce refus s'impose "
                              "même en urgence vitale. Soignez avec les autres sources (le "
                              "patient, ses proches, son médecin traitant, le dossier de "
                              "l'établissement)."
                              + (" Vous faites partie de son équipe de soins : consultez son DMP "
                                 "sans bris de glace." if basis is not None else ""))
        problem = reason_problem(emergency, minimum=5)
        if problem is not None:
            raise refuse(400, "Accès « bris de glace » : le motif de l'urgence est obligatoire "
                              f"(en-tête {BREAK_GLASS_HEADER} ou paramètre {BREAK_GLASS_PARAM}) "
                              f"et doit être lisible : {problem}.", code="required")
        # Committed at once: the patient is alerted even if what follows fails.
        ctx.record_at_once("dmp.break_glass", target=target, patient=patient.patient_id,
                           detail={"motif": emergency, "alerte_patient": True,
                                   "equipe_de_soins": basis is not None})
        return Access(patient, "bris_de_glace", is_gp=basis == "medecin_traitant",
                      break_glass_reason=emergency)
    if basis is None:
        raise refuse(403, "Vous ne faites pas partie de l'équipe de soins de ce patient : son "
                          "consentement explicite est requis (il peut vous autoriser depuis Mon "
                          "espace santé). En cas d'urgence vitale, utilisez l'accès « bris de "
                          f"glace » motivé (en-tête {BREAK_GLASS_HEADER}).")
    return Access(patient, basis, is_gp=basis == "medecin_traitant")


def _labelled(label: str):
    """The documents carrying a confidentiality label (JSON text on SQLite, JSONB on
    PostgreSQL: both read as text with the label quoted)."""
    return cast(DmpDocumentRow.confidentiality, Text).like(f'%"{label}"%')


@dataclass(frozen=True)
class Visibility:
    """`hidden_reason` as a SQL condition, so that a search counts and pages the visible
    documents in the database: `key` is its shape (a statement is kept per shape), the actor's
    practitioner id is bound as `visible_author`."""

    is_patient: bool
    classes: tuple[str, ...] | None  # the classes the profession reads; None: all
    is_gp: bool
    author: str | None

    @property
    def key(self) -> tuple:
        return self.is_patient, self.classes, self.is_gp, self.author is not None

    @property
    def parameters(self) -> dict[str, str | None]:
        return {"visible_author": self.author}

    def clause(self):
        if self.is_patient:
            return ~_labelled("INVISIBLE_PATIENT")
        clause = true() if self.classes is None else DmpDocumentRow.class_code.in_(self.classes)
        if not self.is_gp:
            mine = DmpDocumentRow.author_id == bindparam("visible_author") if self.author \
                else false()
            clause = and_(clause, or_(~_labelled("MASQUE_PS"), mine))
        return clause


def visibility(ctx: ServiceContext, access: Access) -> Visibility:
    """What of the patient's documents the actor sees."""
    if access.is_patient:
        return Visibility(True, None, False, None)
    classes = policy.matrix().allowed_values(ctx.actor.role, "dmp.document.read", "class_code")
    return Visibility(False, None if classes is None else tuple(sorted(classes)), access.is_gp,
                      ctx.actor.practitioner_id or None)


def hidden_reason(ctx: ServiceContext, access: Access, doc: DmpDocumentRow | Row) -> str | None:
    """Why this document is not shown to the actor (None if it is)."""
    labels = set(doc.confidentiality or [])
    if access.is_patient:
        if "INVISIBLE_PATIENT" in labels:
            return "document non visible par le patient"
        return None
    if not policy.can(ctx.actor, "dmp.document.read", {"class_code": doc.class_code}).allowed:
        return "classe de document non accessible à votre profession"
    if "MASQUE_PS" in labels and not access.is_gp and doc.author_id != ctx.actor.practitioner_id:
        return "document masqué aux professionnels par le patient"
    return None
