"""A small hand-built DMP world for the DMP and e-prescription tests, and the seeder's test.

Hand-built (a few identities, personas and documents) rather than a generated population so
that each rule is tested on data whose expected answer is known by construction.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from fixtures.servers import LiveServer

from sandbox.app import create_app
from sandbox.auth import hash_password
from sandbox.auth_models import PersonaRow
from sandbox.clock import ManualClock
from sandbox.runtime import Sandbox
from sandbox.services.dmp.models import DmpPatientRow
from sandbox.settings import Settings
from synthetic_data.nir import OID_INS_TEST, nir_key

PASSWORD = "bac-a-sable"
LOINC = "http://loinc.org"


def ins(body: str) -> str:
    return body + nir_key(body)


# Patients: qualified (GP = gp1), a second qualified one, one RECUP (INS not qualified).
INS_A = ins("2790351215189")
INS_B = ins("1850675056123")
INS_RECUP = ins("1920313055042")
PATIENTS = [
    dict(patient_id="pat-a", ins=INS_A, identity_status="QUAL", family="MARTIN", given="Claire",
         birth_date="1979-03-12", gp_id="gp1"),
    dict(patient_id="pat-b", ins=INS_B, identity_status="QUAL", family="DURAND", given="Paul",
         birth_date="1985-06-02", gp_id="gp2"),
    dict(patient_id="pat-r", ins=INS_RECUP, identity_status="RECUP", family="PETIT",
         given="Jean", birth_date="1992-03-01", gp_id="gp1"),
    dict(patient_id="pat-p", ins=None, identity_status="PROV", family="ROUX", given="Lea",
         birth_date="2001-01-01", gp_id="gp1"),
]
# login -> (role, practitioner_id, patient_id)
PERSONAS = {
    "medecin": ("medecin", "gp1", None),  # médecin traitant of pat-a
    "medecin2": ("medecin", "doc2", None),  # outside pat-a's care team
    "urgentiste": ("medecin", "urg1", None),
    "sage-femme": ("sage_femme", "sf1", None),
    "pharmacien": ("pharmacien", "ph1", None),
    "pharmacien2": ("pharmacien", "ph2", None),
    "infirmier": ("infirmier", "inf1", None),
    "kine": ("kine", "kin1", None),
    "secretaire": ("secretaire", None, None),
    "etudiant": ("etudiant", None, None),
    "patient": ("patient", None, "pat-a"),
    "patient-b": ("patient", None, "pat-b"),
    "facilitateur": ("facilitateur", None, None),
}


def build_sandbox(tmp_path, tenants=("t1",), clock=None, url: str | None = None) -> Sandbox:
    settings = Settings(db=url or f"sqlite:///{tmp_path / 'sandbox.sqlite'}", data_dir=tmp_path)
    sandbox = Sandbox.open(settings, clock=clock)
    digest = hash_password(PASSWORD)
    with sandbox.store.session() as session:
        for tenant in tenants:
            for login, (role, pr, pa) in PERSONAS.items():
                session.add(PersonaRow(tenant=tenant, login=login, role=role, display_name=login,
                                       password_hash=digest, practitioner_id=pr, patient_id=pa))
            for p in PATIENTS:
                session.add(DmpPatientRow(tenant=tenant, opposed=False, **p))
    return sandbox


@dataclass
class World:
    sandbox: Sandbox
    http: TestClient
    tokens: dict

    def as_(self, login: str, tenant: str = "t1") -> dict:
        key = (tenant, login)
        if key not in self.tokens:
            r = self.http.post("/auth/token", json={"tenant": tenant, "login": login,
                                                     "password": PASSWORD})
            assert r.status_code == 200, r.text
            self.tokens[key] = r.json()["access_token"]
        return {"Authorization": f"Bearer {self.tokens[key]}"}


@pytest.fixture(name="world")
def world_fixture(tmp_path) -> Iterator[World]:
    clock = ManualClock(datetime(2026, 1, 15, 9, 0, tzinfo=UTC))
    sandbox = build_sandbox(tmp_path, tenants=("t1", "t2"), clock=clock)
    with TestClient(create_app(sandbox), raise_server_exceptions=False) as http:
        yield World(sandbox, http, {})
    sandbox.store.dispose()


def document(patient_ins: str = INS_A, *, type_code: str = "11488-4", text: str = "CR test",
             confidentiality: str | None = None, master: str | None = None,
             class_code: str | None = None, replaces: str | None = None,
             content_type: str = "text/plain", data: bytes | None = None) -> dict:
    """A DocumentReference with inline content, as a learner would write it."""
    resource = {
        "resourceType": "DocumentReference",
        "status": "current",
        "type": {"coding": [{"system": LOINC, "code": type_code}]},
        "subject": {"identifier": {"system": OID_INS_TEST, "value": patient_ins}},
        "date": "2026-01-10T10:00:00+01:00",
        "content": [{"attachment": {
            "contentType": content_type, "title": "Compte rendu",
            "data": base64.b64encode(data if data is not None else text.encode()).decode()}}],
    }
    if master:
        resource["masterIdentifier"] = {"system": "urn:ietf:rfc:3986", "value": master}
    if class_code:
        resource["category"] = [{"coding": [{"system": "urn:oid:1.2.250.1.213.1.1.4.1",
                                             "code": class_code}]}]
    if confidentiality:
        system = ("http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
                  if confidentiality in "NRV" else "urn:oid:1.2.250.1.213.1.1.4.13")
        resource["securityLabel"] = [{"coding": [{"system": system, "code": confidentiality}]}]
    if replaces:
        resource["relatesTo"] = [{"code": "replaces",
                                  "target": {"reference": f"DocumentReference/{replaces}"}}]
    return resource


@pytest.fixture(name="dmp_live",
                params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def dmp_live_fixture(request, tmp_path) -> Iterator[tuple[Sandbox, LiveServer]]:
    """The hand-built world served by a real uvicorn, on SQLite and on PostgreSQL."""
    url = request.getfixturevalue("postgres_server").database() if request.param != "sqlite" else None
    sandbox = build_sandbox(tmp_path, url=url)
    with LiveServer(sandbox, "t1") as server:
        yield sandbox, server
    sandbox.store.dispose()
