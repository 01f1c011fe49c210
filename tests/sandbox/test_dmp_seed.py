"""The DMP seeder: identities with their status, documents of qualified patients only, every
seeded DocumentReference valid FHIR R4B and served as found by the API."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sandbox.app import create_app
from sandbox.runtime import Sandbox
from sandbox.seeding import SeedPopulation, seed_tenant
from sandbox.services.dmp import documents
from sandbox.services.dmp.models import DmpBinaryRow, DmpDocumentRow, DmpPatientRow
from sandbox.settings import Settings
from synthetic_data import model
from synthetic_data.fhir_models import model_class
from synthetic_data.nir import OID_INS_TEST


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    import synthetic_data

    folder = tmp_path_factory.mktemp("dmp-seed")
    population = SeedPopulation(synthetic_data.generate(n=40, seed=7, years=3))
    sandbox = Sandbox.open(Settings(db=f"sqlite:///{folder / 's.sqlite'}", data_dir=folder))
    seed_tenant(sandbox, "demo", population)
    yield sandbox, population
    sandbox.store.dispose()


def test_identities_and_documents(seeded):
    sandbox, population = seeded
    with sandbox.store.session() as session:
        known = {r.patient_id: r for r in session.scalars(select(DmpPatientRow))}
        docs = session.scalars(select(DmpDocumentRow)).all()
        binaries = {b.id: b for b in session.scalars(select(DmpBinaryRow))}
        assert len(known) == len(population.patients)
        expected = {d.id for p in population.patients
                    if p.identity.status is model.IdentityStatus.QUAL for d in p.documents}
        assert expected, "the population should have documents for qualified patients"
        assert {d.id for d in docs} == expected
        for p in population.patients:
            assert known[p.id].identity_status == p.identity.status.value
            assert known[p.id].ins == p.identity.ins and known[p.id].gp_id == p.gp_id
        for doc in docs:
            served = documents.served(doc)
            model_class("DocumentReference").model_validate(served)
            assert served["subject"]["identifier"]["system"] == OID_INS_TEST
            assert binaries[doc.binary_id].data.decode("utf-8")


def test_seeded_documents_found_by_the_gp(seeded):
    sandbox, population = seeded
    patient = next(p for p in population.patients
                   if p.identity.status is model.IdentityStatus.QUAL and p.documents and p.gp_id)
    with TestClient(create_app(sandbox)) as http:
        with sandbox.store.session() as session:
            from sandbox.auth_models import PersonaRow

            login = session.scalars(select(PersonaRow.login).where(
                PersonaRow.practitioner_id == patient.gp_id)).first()
        token = http.post("/auth/token", json={"tenant": "demo", "login": login,
                                               "password": sandbox.settings.persona_password})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        found = http.get("/dmp/fhir/DocumentReference", headers=headers, params={
            "patient.identifier": f"{OID_INS_TEST}|{patient.identity.ins}", "_count": "200"})
        assert found.status_code == 200
        assert {e["resource"]["id"] for e in found.json()["entry"]} == {
            d.id for d in patient.documents}
        first = patient.documents[0]
        content = http.get(f"/dmp/fhir/Binary/{first.id}-bin",
                           headers={**headers, "Accept": "text/plain"})
        assert content.text == first.text
