"""Seeding: personas chosen from the population, determinism, templates, reset."""

from __future__ import annotations

import sqlite3
from collections import Counter
from datetime import UTC, datetime

import pytest
from sandbox_helpers import OTHER_TENANT, TENANT, events

from sandbox import events as stream
from sandbox.auth import authenticate, verify
from sandbox.auth_models import PersonaRow
from sandbox.faults_models import FaultRow
from sandbox.personas import DEFAULT_LOGINS, ROLE_BY_PROFESSION, default_personas
from sandbox.runtime import Sandbox
from sandbox.seeding import reset_tenant, seed_tenant
from sandbox.services.insi.models import NationalIdentity
from sandbox.services.insi.seed import namesakes
from sandbox.settings import Settings
from sandbox.template_cache import build_template, open_seeded, template_path


def personas(sandbox, tenant=TENANT) -> dict[str, PersonaRow]:
    from sqlalchemy import select

    with sandbox.store.session() as session:
        return {r.login: r for r in session.scalars(
            select(PersonaRow).where(PersonaRow.tenant == tenant))}


def test_seeding_opens_every_mailbox_of_the_directory_and_of_mon_espace_sante(seeded, population):
    from sqlalchemy import select

    from sandbox.messaging.models import MailboxRow

    with seeded.store.session() as session:
        boxes = dict(session.execute(select(MailboxRow.address, MailboxRow.type)
                                     .where(MailboxRow.tenant == TENANT)).all())
    expected = {box.address.lower(): box.type for box in population.mailboxes}
    expected |= {f"{p.identity.matricule}@patient.mssante.fr": "PAT"
                 for p in population.identities() if p.identity.matricule}
    assert boxes == expected
    assert {"PER", "ORG", "CAB", "APP", "PAT"} <= set(boxes.values())
    assert {r.mailbox.lower() for r in personas(seeded).values() if r.mailbox} <= set(boxes)


def test_named_personas_fit_their_roles(seeded, population):
    rows = personas(seeded)
    assert set(DEFAULT_LOGINS) <= set(rows)
    expected_roles = {"medecin": "medecin", "medecin2": "medecin", "urgentiste": "medecin",
                      "sage-femme": "sage_femme", "pharmacien": "pharmacien",
                      "infirmier": "infirmier", "kine": "kine", "secretaire": "secretaire",
                      "etudiant": "etudiant", "patient": "patient",
                      "facilitateur": "facilitateur"}
    assert {login: rows[login].role for login in DEFAULT_LOGINS} == expected_roles
    followed = Counter(p.gp_id for p in population.patients)
    gp = rows["medecin"].practitioner_id
    assert followed[gp] == max(followed.values())  # the GP with the most patients
    assert followed[rows["medecin2"].practitioner_id] < followed[gp]
    practitioners = {p.id: p for p in population.practitioners}
    orgs = {o.id: o for o in population.organizations}
    urgent = practitioners[rows["urgentiste"].practitioner_id]
    assert orgs[urgent.organization_id].kind in ("CH", "CHU", "CLINIQUE")
    patients = {p.id: p for p in population.patients}
    chosen = patients[rows["patient"].patient_id]
    assert chosen.documents and chosen.gp_id == gp
    second = practitioners[rows["medecin2"].practitioner_id]  # elsewhere, outside the care team
    assert second.organization_id != practitioners[gp].organization_id
    assert second.id not in {d.author_id for d in chosen.documents}
    for login in ("medecin", "sage-femme", "pharmacien", "infirmier", "kine"):
        assert rows[login].mailbox == practitioners[rows[login].practitioner_id].mssante
    assert rows["secretaire"].mailbox == orgs[practitioners[gp].organization_id].mssante
    assert rows["etudiant"].mailbox is None


def test_everyone_can_log_in_with_one_password_hashed_once_facilitator_apart(seeded,
                                                                             population):
    rows = personas(seeded)
    for p in population.practitioners:
        if p.profession in ROLE_BY_PROFESSION:
            assert rows[p.rpps].role == ROLE_BY_PROFESSION[p.profession]
            assert rows[p.rpps].practitioner_id == p.id
    for p in population.identities():
        assert rows[p.id].role == "patient" and rows[p.id].patient_id == p.id
    facilitator = rows.pop("facilitateur").password_hash
    assert len({r.password_hash for r in rows.values()}) == 1
    assert facilitator not in {r.password_hash for r in rows.values()}
    with seeded.store.session() as session:
        actor = authenticate(session, TENANT, population.practitioners[0].rpps, "bac-a-sable")
        assert verify(session, TENANT, "facilitateur", "bac-a-sable") is None
    assert actor.practitioner_id == population.practitioners[0].id


def test_only_identities_with_a_matricule_are_national(seeded, population):
    from sqlalchemy import func, select

    with seeded.store.session() as session:
        count = session.scalar(select(func.count()).select_from(NationalIdentity).where(
            NationalIdentity.tenant == TENANT))
    known = sum(1 for p in population.identities() if p.identity.matricule)
    assert count == known + len(namesakes(population))
    assert known < len(population.patients)


def _dump(path) -> dict[str, list]:
    connection = sqlite3.connect(path)
    tables = [r[0] for r in connection.execute(
        "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
    out = {}
    for table in tables:
        if table == "deployment_secrets":  # per deployment on purpose (test_trust.py)
            continue
        columns = [r[1] for r in connection.execute(f"PRAGMA table_info({table})")]
        keep = [c for c in columns if c not in ("password_hash", "seq", "at")]
        out[table] = sorted(map(repr, connection.execute(
            f"SELECT {', '.join(keep)} FROM {table}")))
    connection.close()
    return out


def test_seeding_is_deterministic(tmp_path, population):
    dumps = []
    for name in ("a", "b"):
        path = tmp_path / f"{name}.sqlite"
        sandbox = Sandbox.open(Settings(db=f"sqlite:///{path}", data_dir=tmp_path))
        seed_tenant(sandbox, TENANT, population)
        sandbox.store.dispose()
        dumps.append(_dump(path))
    assert dumps[0] == dumps[1]
    assert len(dumps[0]["personas"]) > 100 and dumps[0]["insi_identities"]


def test_default_personas_are_a_pure_function_of_the_population(population):
    assert default_personas(population) == default_personas(population)


def test_template_is_built_once_then_copied(tmp_path):
    settings = Settings(data_dir=tmp_path, patients=25, seed=5)
    template = build_template(settings, "t")
    built = template.stat().st_mtime_ns
    assert build_template(settings, "t") == template
    assert template.stat().st_mtime_ns == built
    target = Settings(data_dir=tmp_path, patients=25, seed=5,
                      db=f"sqlite:///{tmp_path / 'copie' / 'sandbox.sqlite'}")
    sandbox, seeded_now = open_seeded(target, "t")
    assert seeded_now and len(personas(sandbox, "t")) > 25
    sandbox.store.dispose()
    again, seeded_now = open_seeded(target, "t")
    assert not seeded_now
    again.store.dispose()
    assert template.stat().st_mtime_ns == built
    other = build_template(Settings(data_dir=tmp_path, patients=26, seed=5), "t")
    assert other != template


def test_template_name_follows_the_code_that_seeds(tmp_path):
    import shutil

    from sandbox.template_cache import SEED_SOURCES, seed_digest, sources_digest

    copies = tuple(shutil.copytree(root, tmp_path / root.name,
                                   ignore=shutil.ignore_patterns("__pycache__"))
                   for root in SEED_SOURCES)
    assert sources_digest(copies) == seed_digest()  # content, not location, decides
    pathway = copies[0] / "pathways" / "diabetes.yaml"
    pathway.write_text(pathway.read_text() + "\n# une modification\n")
    assert sources_digest(copies) != seed_digest()
    assert seed_digest() in template_path(Settings(data_dir=tmp_path), "t").name


def test_a_new_template_prunes_those_of_other_code_versions(tmp_path):
    settings = Settings(data_dir=tmp_path, patients=25, seed=5)
    folder = tmp_path / "templates"
    folder.mkdir()
    older = folder / "seed5-n25-t-v0.0.9-0123456789ab.sqlite"
    kept = [folder / "seed5-n25-t-v2-v0.1.0-0123456789ab.sqlite",  # tenant "t-v2"
            folder / "seed5-n26-t-v0.1.0-0123456789ab.sqlite",  # another size
            folder / "seed6-n25-t-v0.1.0-0123456789ab.sqlite"]  # another seed
    for path in (older, *kept):
        path.write_bytes(b"")
    template = build_template(settings, "t")
    assert sorted(folder.glob("*.sqlite")) == sorted([template, *kept])


def test_reset_restores_one_tenant_only(tmp_path, population):
    sandbox = Sandbox.open(Settings(db=f"sqlite:///{tmp_path / 'r.sqlite'}", data_dir=tmp_path))
    seed_tenant(sandbox, TENANT, population)
    seed_tenant(sandbox, OTHER_TENANT, population)
    with sandbox.store.session() as session:
        for tenant in (TENANT, OTHER_TENANT):
            session.add(FaultRow(tenant=tenant, service="insi", mode="indisponible"))
            session.get(PersonaRow, (tenant, "medecin")).display_name = "modifié"
            stream.record(session, stream.Event(tenant, datetime.now(UTC), "insi", "insi.search",
                                                "medecin", "medecin", None, None, "success", {}))
    assert len(events(sandbox, TENANT)) == 1
    reset_tenant(sandbox, TENANT, population)
    assert personas(sandbox)["medecin"].display_name != "modifié"
    assert personas(sandbox, OTHER_TENANT)["medecin"].display_name == "modifié"
    with sandbox.store.session() as session:
        assert session.get(FaultRow, (TENANT, "insi")) is None
        assert session.get(FaultRow, (OTHER_TENANT, "insi")) is not None
    assert events(sandbox, TENANT) == []
    assert len(events(sandbox, OTHER_TENANT)) == 1
    sandbox.store.dispose()


@pytest.mark.parametrize("login", DEFAULT_LOGINS)
def test_named_personas_log_in_over_http(live, login):
    assert live.token(login)
