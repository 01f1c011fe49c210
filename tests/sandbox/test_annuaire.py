"""Annuaire Santé FHIR search over HTTP, on SQLite and PostgreSQL: every parameter against the
population's own directory, paging, strictness, MSSanté telecom, events."""

from __future__ import annotations

import pytest
from sandbox_helpers import assert_outcome, events

from sandbox.client import NotFound
from sandbox.fhir import fold
from synthetic_data.export import systems


def ids(result) -> set[str]:
    return {r["id"] for r in result}


def everything(s, resource: str, **params):
    result = s.annuaire.search(resource, _count=200, **params)
    assert result.total == len(result)
    return result


def test_search_by_family_name_is_prefix_case_and_accent_insensitive(connect_as, population):
    s = connect_as("medecin")
    target = population.practitioners[0]
    expected = {p.id for p in population.practitioners
                if any(w.startswith(fold(target.birth_name[:3]))
                       for w in fold(f"{p.birth_name} {p.given_name}").replace("-", " ").split())}
    found = everything(s, "Practitioner", name=target.birth_name[:3].lower())
    assert ids(found) == expected
    assert target.id in ids(found)


def test_search_by_rpps_with_and_without_system(connect_as, population):
    s = connect_as("etudiant")
    target = population.practitioners[3]
    for value in (target.rpps, f"{systems.RPPS}|{target.rpps}"):
        found = s.annuaire.search("Practitioner", identifier=value)
        assert found.total == 1
        resource = found[0]
        assert resource["id"] == target.id
        rpps = [i["value"] for i in resource["identifier"] if i["system"] == systems.RPPS]
        assert rpps == [target.rpps]
        mails = [t["value"] for t in resource["telecom"] if t["system"] == "email"]
        assert mails == [target.mssante]


def test_search_roles_by_profession_specialty_and_commune(connect_as, population):
    s = connect_as("patient")
    orgs = {o.id: o for o in population.organizations}
    target = next(p for p in population.practitioners if p.specialty)
    city = orgs[target.organization_id].address.city
    found = everything(s, "PractitionerRole", profession=target.profession,
                       specialty=target.specialty, commune=city)
    expected = {f"role-{p.id}" for p in population.practitioners
                if p.profession == target.profession and p.specialty == target.specialty
                and fold(orgs[p.organization_id].address.city) == fold(city)}
    assert ids(found) == expected
    for role in found:
        assert role["code"][0]["coding"][0]["code"] == target.profession
        assert any(t["system"] == "email" and t["value"].endswith(".mssante.fr")
                   for t in role["telecom"])


def test_search_practitioners_by_profession_with_system(connect_as, population):
    s = connect_as("medecin")
    found = everything(s, "Practitioner",
                       profession=f"{systems.TRE_G15_PROFESSION}|60")
    assert ids(found) == {p.id for p in population.practitioners if p.profession == "60"}


def test_search_organizations_by_finess_postal_code_and_type(connect_as, population):
    s = connect_as("secretaire")
    org = population.organizations[0]
    assert ids(s.annuaire.search("Organization", finess=org.finess)) == {org.id}
    by_postal = everything(s, "Organization", postal_code=org.address.postal_code)
    assert ids(by_postal) == {o.id for o in population.organizations
                              if o.address.postal_code == org.address.postal_code}
    by_type = everything(s, "Organization", type=org.kind)
    assert ids(by_type) == {o.id for o in population.organizations if o.kind == org.kind}
    resource = next(r for r in by_type if r["id"] == org.id)
    assert org.mssante in [t["value"] for t in resource["telecom"] if t["system"] == "email"]
    assert {i["value"] for i in resource["identifier"]} == {org.finess, "1" + org.finess}


def test_or_values_and_role_by_practitioner_reference(connect_as, population):
    s = connect_as("medecin")
    a, b = population.practitioners[:2]
    found = s.annuaire.search("Practitioner", identifier=f"{a.rpps},{b.rpps}")
    assert ids(found) == {a.id, b.id}
    roles = s.annuaire.search("PractitionerRole", practitioner=f"Practitioner/{a.id}")
    assert ids(roles) == {f"role-{a.id}"}


def test_paging_total_and_links(connect_as, population):
    s = connect_as("medecin")
    page = s.annuaire.search("Practitioner", _count=7)
    assert page.total == len(population.practitioners)
    seen = []
    while page is not None:
        assert len(page) <= 7
        seen.extend(r["id"] for r in page)
        page = page.next_page()
    assert sorted(seen) == sorted(p.id for p in population.practitioners)
    assert len(seen) == len(set(seen))


def test_read_and_not_found(connect_as, population):
    s = connect_as("medecin")
    org = population.organizations[1]
    assert s.annuaire.get("Organization", org.id)["name"] == org.name
    with pytest.raises(NotFound, match="introuvable"):
        s.annuaire.get("Organization", "org-inexistante")


@pytest.mark.parametrize("query, where", [
    ("nom=martin", "nom"),
    ("name:approx=martin", "approx"),
    ("_count=abc", "_count"),
    ("_count=-1", "_count"),
    ("_count=100000", "_count"),
    ("name=", "name"),
    ("identifier=http://example.org|123", "identifier"),
    ("practitioner=Organization/x", "practitioner"),
    ("profession=99", "profession"),
    ("specialty=SM99", "specialty"),
])
def test_strict_search_parameters(live, query, where):
    resource = "PractitionerRole" if where == "practitioner" else "Practitioner"
    text = assert_outcome(live.http("medecin").get(f"/annuaire/fhir/{resource}?{query}"), 400)
    assert where.split(":")[0] in text or "approx" in text


def test_unknown_code_names_the_known_ones(live):
    text = assert_outcome(live.http("medecin").get("/annuaire/fhir/Organization?type=XYZ"), 400)
    assert "Code inconnu" in text and "CHU" in text


def test_unknown_resource_type_is_404_outcome(live):
    assert_outcome(live.http("medecin").get("/annuaire/fhir/Patient"), 404)


def test_searches_and_reads_are_events(live, connect_as):
    s = connect_as("kine")
    before = len(events(live.sandbox, "classe-a", service="annuaire"))
    s.annuaire.search("Organization", name="centre")
    s.annuaire.get("Practitioner", "pra-0001")
    after = events(live.sandbox, "classe-a", service="annuaire")[before:]
    assert [(e.action, e.persona, e.target) for e in after] == [
        ("annuaire.search", "kine", "Organization"),
        ("annuaire.read", "kine", "Practitioner/pra-0001"),
    ]
    assert after[0].detail["parametres"] == [["name", "centre"]]
