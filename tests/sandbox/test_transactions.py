"""A request's transaction commits before its response is sent, or the client is told.

The commit happens on the route's worker thread (`transactions.committing`); these tests make that
commit fail for real (a `before_commit` hook raising a database error) and check the client
gets a French 503 and the store keeps nothing of the request.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sandbox_helpers import TENANT, assert_outcome, events
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session


@contextmanager
def failing_commits() -> Iterator[None]:
    """While inside the block, committing a session that wrote anything fails (a real
    database error raised by SQLAlchemy's own hook); read-only sessions still commit."""
    def mark(state) -> None:
        if state.is_insert or state.is_update or state.is_delete:
            state.session.info["wrote"] = True

    def fail(session) -> None:
        if session.info.pop("wrote", False):
            raise OperationalError("COMMIT", {}, Exception("disk I/O error (simulé)"))

    event.listen(Session, "do_orm_execute", mark)
    event.listen(Session, "before_commit", fail)
    try:
        yield
    finally:
        event.remove(Session, "before_commit", fail)
        event.remove(Session, "do_orm_execute", mark)


@pytest.mark.parametrize("path", ["/annuaire/fhir/Practitioner", "/insi/recuperation/traits"])
def test_a_failed_commit_is_a_503_and_leaves_no_trace(live, path):
    client = live.http("medecin")
    before = len(events(live.sandbox, TENANT))
    with failing_commits():
        if path.startswith("/insi"):
            response = client.post(path, json={"nom_naissance": "MARTIN", "prenoms": ["Jean"],
                                               "sexe": "M", "date_naissance": "1970-01-01"})
        else:
            response = client.get(path, params={"_count": 1})
    assert "rien n'a été enregistré" in assert_outcome(response, 503)
    assert len(events(live.sandbox, TENANT)) == before


def test_an_unreachable_database_is_a_503_not_a_500(live):
    """Any database failure (not only at commit) tells the client to retry, in French."""
    client = live.http("medecin")

    def unreachable(_state) -> None:
        raise OperationalError("SELECT", {}, Exception("could not connect (simulé)"))

    event.listen(Session, "do_orm_execute", unreachable)
    try:
        response = client.get("/annuaire/fhir/Organization", params={"_count": 1})
    finally:
        event.remove(Session, "do_orm_execute", unreachable)
    assert "réessayez" in assert_outcome(response, 503)
    assert response.headers["retry-after"] == "5"


def test_a_successful_search_commits_its_trace(live):
    client = live.http("medecin")
    before = len(events(live.sandbox, TENANT, service="annuaire"))
    response = client.get("/annuaire/fhir/Practitioner", params={"_count": 1})
    assert response.status_code == 200, response.text
    assert len(events(live.sandbox, TENANT, service="annuaire")) == before + 1
