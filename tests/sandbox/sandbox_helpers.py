"""Assertions shared by the sandbox tests (importable: tests/sandbox is on sys.path)."""

from __future__ import annotations

import re

import httpx
from fixtures.personas import PASSWORD  # noqa: F401 (re-exported to the sandbox tests)

TENANT = "classe-a"
OTHER_TENANT = "classe-b"

_FRENCH = re.compile(r"[éèàêçùôî«»]|\b(le|la|les|de|du|des|une?|est|pour|avec|sur|au)\b",
                     re.IGNORECASE)


def is_french(text: str) -> bool:
    return bool(_FRENCH.search(text))


def assert_outcome(response: httpx.Response, status: int) -> str:
    """`response` is `status` with a French FHIR OperationOutcome; returns its diagnostic."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/fhir+json"), response.headers
    body = response.json()
    assert body["resourceType"] == "OperationOutcome", body
    text = body["issue"][0]["diagnostics"]
    assert is_french(text), text
    return text


def events(sandbox, tenant: str, **filters) -> list:
    from sandbox import events as stream

    with sandbox.store.session() as session:
        return stream.stream(session, tenant, **filters, limit=100_000)
