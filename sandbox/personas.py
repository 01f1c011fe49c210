"""Who logs in to a tenant: the named personas the course and the banner use, chosen
deterministically from the population, and one login per professional and per patient.

Other modules ask here who a persona is (`mailbox_owner`, `default_personas_of`) rather than
reading the personas table or the list of named logins themselves.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from sandbox.auth_models import PersonaRow
from sandbox.deployment import FACILITATOR_LOGIN
from sandbox.messaging.mailstore import patient_mailbox
from sandbox.runtime import Sandbox
from synthetic_data import model
from synthetic_data.referentials import GENERAL_PRACTITIONER

# TRE_G15 profession -> role of the access matrix. Professions without a role (dentists…)
# appear in the directory but cannot log in.
ROLE_BY_PROFESSION = {"10": "medecin", "50": "sage_femme", "21": "pharmacien",
                      "60": "infirmier", "70": "kine"}
_HOSPITALS = ("CH", "CHU", "CLINIQUE")
DEFAULT_LOGINS = ("medecin", "medecin2", "urgentiste", "sage-femme", "pharmacien", "infirmier",
                  "kine", "secretaire", "etudiant", "patient", "facilitateur")


@dataclass(frozen=True, slots=True)
class PersonaInfo:
    """A default persona: what the banner and the notebooks show."""

    login: str
    role: str
    display_name: str
    practitioner_id: str | None = None
    patient_id: str | None = None
    mailbox: str | None = None


def default_personas(population) -> list[PersonaInfo]:
    """The named personas of a population, chosen deterministically from it."""
    practitioners = population.practitioners
    orgs = {o.id: o for o in population.organizations}
    patients = population.patients
    followed = Counter(p.gp_id for p in patients if p.gp_id)
    physicians = [p for p in practitioners if p.profession == GENERAL_PRACTITIONER.profession]
    gps = [p for p in physicians if p.specialty == GENERAL_PRACTITIONER.specialty] or physicians
    gp = max(gps, key=lambda p: (followed[p.id], -practitioners.index(p)))

    def at_hospital(p: model.Practitioner) -> bool:
        org = orgs.get(p.organization_id)
        return org is not None and org.kind in _HOSPITALS

    others = [p for p in physicians if p.id != gp.id]
    urgent = next((p for p in others if at_hospital(p) and p.specialty != GENERAL_PRACTITIONER.specialty),
                  others[0] if others else gp)

    def first(profession: str) -> model.Practitioner | None:
        return next((p for p in practitioners if p.profession == profession), None)

    def pro(login: str, p: model.Practitioner | None, role: str, title: str) -> PersonaInfo | None:
        if p is None:
            return None
        return PersonaInfo(login, role, f"{title} {p.given_name} {p.birth_name}", p.id,
                           mailbox=p.mssante)

    def doc_count(p: model.Patient) -> int:
        return len(p.documents)

    qualified = [p for p in patients if p.identity.status is model.IdentityStatus.QUAL
                 and p.deceased is None]
    pool = [p for p in qualified if p.gp_id == gp.id] or qualified or patients
    patient = max(pool, key=lambda p: (doc_count(p), -patients.index(p)))
    # medecin2 works elsewhere and is outside that patient's care team (authored none of the
    # documents of the DMP): the course's "bris de glace" exercise starts with its refusal.
    care_team = {d.author_id for d in patient.documents}
    outside = [p for p in others if p.id != urgent.id and p.organization_id != gp.organization_id
               and p.id not in care_team]
    second = min(outside or others or [gp], key=lambda p: (followed[p.id], practitioners.index(p)))
    gp_org = orgs.get(gp.organization_id)
    ident = patient.identity
    found = [
        pro("medecin", gp, "medecin", "Dr"),
        pro("medecin2", second, "medecin", "Dr"),
        pro("urgentiste", urgent, "medecin", "Dr"),
        pro("sage-femme", first("50"), "sage_femme", ""),
        pro("pharmacien", first("21"), "pharmacien", ""),
        pro("infirmier", first("60"), "infirmier", ""),
        pro("kine", first("70"), "kine", ""),
        PersonaInfo("secretaire", "secretaire",
                    f"Secrétariat — {gp_org.name}" if gp_org else "Secrétariat médical",
                    mailbox=gp_org.mssante if gp_org else None),
        PersonaInfo("etudiant", "etudiant", "Étudiant en santé"),
        PersonaInfo("patient", "patient",
                    f"{ident.used_given_name or ident.display_given_names[0]} "
                    f"{ident.used_name or ident.display_birth_name}", patient_id=patient.id,
                    mailbox=patient_mailbox(patient)),
        PersonaInfo("facilitateur", "facilitateur", "Animateur de l'exercice"),
    ]
    return [p for p in found if p is not None]


def default_personas_of(sandbox: Sandbox, tenant: str) -> list[PersonaInfo]:
    """The named personas as stored for `tenant` (what the banner lists)."""
    with sandbox.store.session() as session:
        rows = {r.login: r for r in session.scalars(select(PersonaRow).where(
            PersonaRow.tenant == tenant, PersonaRow.login.in_(DEFAULT_LOGINS)))}
    return [PersonaInfo(r.login, r.role, r.display_name, r.practitioner_id, r.patient_id,
                        r.mailbox) for login in DEFAULT_LOGINS if (r := rows.get(login))]


def seed(session: Session, tenant: str, population, hashes: tuple[str, str]) -> None:
    """Insert who logs in to `tenant`: the named personas, every professional whose profession
    has a role (by RPPS) and every patient (by identifier); `hashes`: (the personas' password,
    the facilitator's, never the same)."""
    personas, facilitator = hashes
    rows = {p.login: p for p in default_personas(population)}
    for pr in population.practitioners:
        role = ROLE_BY_PROFESSION.get(pr.profession)
        if role and pr.rpps not in rows:
            rows[pr.rpps] = PersonaInfo(pr.rpps, role, f"{pr.given_name} {pr.birth_name}",
                                        pr.id, mailbox=pr.mssante)
    for pa in population.identities():
        if pa.id not in rows:
            ident = pa.identity
            rows[pa.id] = PersonaInfo(pa.id, "patient",
                                      f"{ident.display_given_names[0]} {ident.display_birth_name}",
                                      patient_id=pa.id, mailbox=patient_mailbox(pa))
    session.execute(insert(PersonaRow), [
        {"tenant": tenant, "login": p.login, "role": p.role,
         "display_name": p.display_name.strip(),
         "password_hash": facilitator if p.login == FACILITATOR_LOGIN else personas,
         "practitioner_id": p.practitioner_id, "patient_id": p.patient_id, "mailbox": p.mailbox}
        for p in rows.values()])


def mailbox_owner(session: Session, tenant: str, mailbox: str) -> tuple[str, str] | None:
    """(login, role) of the persona whose MSSanté mailbox is `mailbox`: a named persona
    ("sage-femme") before the same person's RPPS login."""
    owners = session.execute(select(PersonaRow.login, PersonaRow.role).where(
        PersonaRow.tenant == tenant, PersonaRow.mailbox == mailbox)).all()
    owner = min(owners, key=lambda o: (o[0] not in DEFAULT_LOGINS, o[0]), default=None)
    return None if owner is None else (owner[0], owner[1])
