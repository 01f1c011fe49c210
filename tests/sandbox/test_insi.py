"""INSi over HTTP, on SQLite and PostgreSQL: each return code reached through the population's
own pitfalls (homonyms, twins, provisional identities), normalisation, vérification, events."""

from __future__ import annotations

import unicodedata

import pytest
from sandbox_helpers import assert_outcome, events

from sandbox.client import AccessDenied, InvalidRequest
from sandbox.services.insi.seed import namesakes
from synthetic_data.model import IdentityStatus, Pitfall
from synthetic_data.nir import OID_INS_TEST, nir_key, normalize_trait

TEST_OID = OID_INS_TEST.removeprefix("urn:oid:")


def traits(patient, given=None, place=False) -> dict:
    i = patient.identity
    out = {"nom": i.birth_name, "prenoms": given if given is not None else i.given_names,
           "sexe": i.sex.value, "date_naissance": i.ins_birth_date}
    if place:
        out["lieu_naissance"] = i.birthplace
    return out


def pairs(population, pitfall):
    by_id = {p.id: p for p in population.identities()}
    seen = set()
    for p in by_id.values():
        if pitfall in p.pitfalls and p.related_to and p.id not in seen:
            other = by_id[p.related_to[0]]
            seen |= {p.id, other.id}
            if p.identity.matricule and other.identity.matricule:
                yield p, other


def homonyms(population, *, same_given: bool):
    found = [(a, b) for a, b in pairs(population, Pitfall.HOMONYM)
             if (a.identity.given_names == b.identity.given_names) == same_given]
    assert found, "the test population must contain this kind of homonyms"
    return found


def test_one_identity_by_traits(connect_as, population):
    s = connect_as("medecin")
    for patient in [p for p in population.identities() if p.identity.matricule][:5]:
        if patient.related_to:
            continue
        answer = s.insi.search(**traits(patient))
        assert answer.code_retour == "00"
        ident = answer.identite
        assert ident.matricule == patient.identity.matricule
        assert ident.oid == TEST_OID
        assert ident.nom_naissance == normalize_trait(patient.identity.birth_name)
        assert ident.prenoms == [normalize_trait(g) for g in patient.identity.given_names]
        assert ident.premier_prenom == ident.prenoms[0]
        assert ident.lieu_naissance == patient.identity.birthplace
        assert ident.date_naissance == patient.identity.ins_birth_date


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def test_normalisation_case_accents_spaces(connect_as, population):
    s = connect_as("secretaire")
    marked = [p for p in population.identities() if p.identity.matricule and not p.related_to
              and Pitfall.APOSTROPHE_ACCENT in p.pitfalls]
    assert marked, "the population must have names with accents or apostrophes"
    for patient in marked:
        i = patient.identity
        # as written on the record, lower case, accents kept (INSi removes them), spaces
        # around hyphens and apostrophes
        name = i.display_birth_name.lower().replace("-", " - ").replace("'", " ' ")
        answer = s.insi.search(nom=f"  {name} ", prenoms=[g.lower() for g in i.display_given_names],
                               sexe=i.sex.value, date_naissance=i.ins_birth_date)
        assert answer.code_retour == "00", (i, answer)
        assert answer.identite.nom_naissance == normalize_trait(i.birth_name)
        assert _strip_accents(answer.identite.nom_naissance) == answer.identite.nom_naissance


def test_composite_names(connect_as, population):
    s = connect_as("medecin")
    composite = [p for p in population.identities() if p.identity.matricule and not p.related_to
                 and Pitfall.COMPOSITE_NAME in p.pitfalls]
    assert composite, "the population must have composite names"
    for patient in composite:
        i = patient.identity
        spaced = [g.replace("-", " - ").lower() for g in i.given_names]
        answer = s.insi.search(nom=i.birth_name.replace("-", " - ").lower(), prenoms=spaced,
                               sexe=i.sex.value, date_naissance=i.ins_birth_date)
        assert answer.code_retour == "00", i
        assert answer.identite.nom_naissance == normalize_trait(i.birth_name)
        # a composite given name stays ONE given name (hyphen kept), never two
        assert answer.identite.prenoms == [normalize_trait(g) for g in i.given_names]


def test_first_given_name_alone_is_enough(connect_as, population):
    s = connect_as("medecin")
    several = [p for p in population.identities() if p.identity.matricule and not p.related_to
               and len(p.identity.given_names) > 1]
    answer = s.insi.search(**traits(several[0], given=several[0].identity.given_names[:1]))
    assert answer.code_retour == "00"
    assert answer.identite.matricule == several[0].identity.matricule


def assert_each_found(s, people, **options) -> None:
    """Each person, searched by all their traits (plus `options` of `traits`), comes back
    alone (00) with their own INS."""
    for person in people:
        answer = s.insi.search(**traits(person, **options))
        assert answer.code_retour == "00"
        assert answer.identite.matricule == person.identity.matricule


def test_homonyms_on_given_names_02_then_00(connect_as, population):
    s = connect_as("medecin")
    for a, b in homonyms(population, same_given=False):
        first = a.identity.given_names[:1]
        assert b.identity.given_names[:1] == first
        answer = s.insi.search(**traits(a, given=first))
        assert answer.code_retour == "02"
        assert answer.identite is None
        assert "autres prénoms" in answer.conseil
        assert_each_found(s, (a, b), place=True)


def test_a_national_namesake_needs_the_birthplace(connect_as, population):
    """The national base holds a namesake of each pair's first member, born elsewhere: all the
    given names still answer 02 for that member (00 for the other), the birthplace then 00."""
    s = connect_as("medecin")
    found = namesakes(population)
    assert found, "the test population must contain homonyms told apart by given names"
    for person, matricule, place in found:
        assert place != person.identity.birthplace
        assert s.insi.search(**traits(person)).code_retour == "02"
        answer = s.insi.search(**traits(person, place=True))
        assert (answer.code_retour, answer.identite.matricule) == ("00", person.identity.matricule)
        other = s.insi.search(**{**traits(person), "lieu_naissance": place})
        assert (other.code_retour, other.identite.matricule) == ("00", matricule)
        partner = next(p for p in population.identities() if p.id == person.related_to[0])
        assert_each_found(s, (partner,))


def test_homonyms_on_birthplace_02_then_00(connect_as, population):
    s = connect_as("medecin")
    for a, b in homonyms(population, same_given=True):
        assert a.identity.birthplace != b.identity.birthplace
        answer = s.insi.search(**traits(a))
        assert answer.code_retour == "02"
        assert "lieu de naissance" in answer.conseil
        assert_each_found(s, (a, b), place=True)


def test_twins_are_told_apart_by_given_names(connect_as, population):
    s = connect_as("sage-femme")
    twins = list(pairs(population, Pitfall.TWIN))
    assert twins, "the test population must contain twins"
    for a, b in twins:
        assert a.identity.birth_name == b.identity.birth_name
        assert a.identity.birth_date == b.identity.birth_date
        assert_each_found(s, (a, b))


def test_none_found(connect_as, population):
    s = connect_as("medecin")
    patient = next(p for p in population.identities() if p.identity.matricule)
    wrong_date = patient.identity.birth_date.replace(year=patient.identity.birth_date.year - 1).isoformat()
    answer = s.insi.search(**{**traits(patient), "date_naissance": wrong_date})
    assert answer.code_retour == "01"
    assert answer.identite is None


def test_provisional_identities_are_unknown_nationally(connect_as, population):
    s = connect_as("medecin")
    provisional = [p for p in population.identities()
                   if p.identity.status is IdentityStatus.PROV]
    assert provisional
    for patient in provisional:
        assert patient.identity.matricule is None and patient.identity.ins is None
        # a homonym partner with an INS may still answer when the birthplace is not given
        assert s.insi.search(**traits(patient, place=True)).code_retour == "01"
        assert s.insi.search(carte_vitale=patient.vitale).code_retour == "01"


def test_vitale_card(connect_as, population):
    s = connect_as("pharmacien")
    patient = next(p for p in population.identities() if p.identity.matricule)
    answer = s.insi.search(carte_vitale=patient.vitale)
    assert answer.code_retour == "00"
    assert answer.identite.matricule == patient.identity.matricule
    cards = {p.vitale for p in population.identities()}
    unknown = next(f"{n:010d}" for n in range(10**9, 10**10) if f"{n:010d}" not in cards)
    assert s.insi.search(carte_vitale=unknown).code_retour == "01"


def test_verification(connect_as, population):
    s = connect_as("infirmier")
    patient = next(p for p in population.identities()
                   if p.identity.matricule and len(p.identity.given_names) > 1)
    i = patient.identity
    ok = s.insi.verify(i.matricule, **traits(patient, place=True))
    assert (ok.code_retour, ok.conforme, ok.ecarts) == ("00", True, [])
    wrong = s.insi.verify(i.matricule, **{**traits(patient), "nom": i.birth_name + "X",
                                    "sexe": "M" if i.sex.value == "F" else "F"})
    assert wrong.code_retour == "02" and not wrong.conforme
    assert wrong.ecarts == ["nom_naissance", "sexe"]
    # a well-formed INS that the national base does not hold
    known = {p.identity.matricule for p in population.identities() if p.identity.matricule}
    body = i.matricule[:10] + "999"
    assert body + nir_key(body) not in known
    unknown = s.insi.verify(body + nir_key(body), **traits(patient))
    assert (unknown.code_retour, unknown.conforme) == ("01", False)


def test_a_validated_identity_has_no_ins_yet_but_the_insi_knows_it(connect_as, population):
    """VALI: checked against an ID document, INS not retrieved; the INSi call qualifies it."""
    s = connect_as("secretaire")
    validated = [p for p in population.identities()
                 if p.identity.status is IdentityStatus.VALI and not p.related_to]
    assert validated
    for patient in validated:
        assert patient.identity.ins is None
        answer = s.insi.search(**traits(patient, place=True))
        assert answer.identite.matricule == patient.identity.matricule


def test_a_birth_date_known_by_its_year_alone(connect_as, population):
    """The record gives the year only: the INSi writes 1950-00-00 and the matricule carries a
    fictitious month (20–42), which verification accepts."""
    s = connect_as("medecin")
    partial = [p for p in population.identities() if p.identity.birth_year_only and p.identity.matricule]
    assert partial, "the test population must hold a birth date known by its year alone"
    for patient in partial:
        i = patient.identity
        answer = s.insi.search(**traits(patient))
        assert answer.code_retour == "00" and answer.identite.date_naissance == f"{i.birth_date.year}-00-00"
        assert int(answer.identite.matricule[3:5]) >= 20
        wrong = s.insi.search(**{**traits(patient), "date_naissance": i.birth_date.isoformat()})
        assert wrong.code_retour == "01"  # 1 January is not "unknown"
        checked = s.insi.verify(i.matricule, **traits(patient))
        assert (checked.code_retour, checked.conforme) == ("00", True)


@pytest.mark.parametrize(("value", "diagnosis"), [
    ("1950-13-01", "mois de naissance « 13 » impossible"),
    ("1950-25-00", "mois fictif 20 à 42 ou 50 à 99 n'existe que dans le matricule"),
    ("1950-00-12", "jour de naissance connu mais mois inconnu"),
    ("1950-02-30", "inexistante"),
    ("0000-00-00", "inexistante"),
    ("12/03/1950", "AAAA-MM-JJ attendu"),
])
def test_a_malformed_birth_date_is_answered_with_its_diagnosis(live, value, diagnosis):
    response = live.http("medecin").post("/insi/recuperation/traits", json={
        "nom_naissance": "A", "prenoms": ["B"], "sexe": "M", "date_naissance": value})
    assert diagnosis in assert_outcome(response, 400)


@pytest.mark.parametrize(("month", "diagnosis"), [("13", "Mois de naissance « 13 »"),
                                                  ("45", "Mois de naissance « 45 »")])
def test_a_matricule_with_an_impossible_month_is_not_called_a_bad_key(connect_as, population,
                                                                      month, diagnosis):
    s = connect_as("medecin")
    patient = next(p for p in population.identities() if p.identity.matricule)
    body = patient.identity.matricule[:3] + month + patient.identity.matricule[5:13]
    with pytest.raises(InvalidRequest, match=diagnosis):
        s.insi.verify(body + nir_key(body), **traits(patient))


def test_verification_refuses_bad_key_and_real_oid(connect_as, population):
    s = connect_as("medecin")
    patient = next(p for p in population.identities() if p.identity.matricule)
    bad_key = patient.identity.matricule[:13] + f"{(int(patient.identity.matricule[13:]) + 1) % 100:02d}"
    with pytest.raises(InvalidRequest, match="clé de contrôle"):
        s.insi.verify(bad_key, **traits(patient))
    with pytest.raises(InvalidRequest, match="identités de test"):
        s.insi.verify(patient.identity.matricule, oid="1.2.250.1.213.1.4.8", **traits(patient))


@pytest.mark.parametrize("name", ["DUP0NT", "DUPONT!", "-", "DUPONT_JR"])
def test_invalid_characters_are_refused_in_french(live, name):
    raw = live.http("medecin")
    response = raw.post("/insi/recuperation/traits", json={
        "nom_naissance": name, "prenoms": ["JEAN"], "sexe": "M", "date_naissance": "1980-01-01"})
    assert "Seuls les lettres" in assert_outcome(response, 400)


@pytest.mark.parametrize("body", [
    {"prenoms": ["JEAN"], "sexe": "M", "date_naissance": "1980-01-01"},
    {"nom_naissance": "A", "prenoms": [], "sexe": "M", "date_naissance": "1980-01-01"},
    {"nom_naissance": "A", "prenoms": ["B"], "sexe": "X", "date_naissance": "1980-01-01"},
    {"nom_naissance": "A", "prenoms": ["B"], "sexe": "M", "date_naissance": "1980-13-01"},
    {"nom_naissance": "A", "prenoms": ["B"], "sexe": "M", "date_naissance": "1980-01-01",
     "lieu_naissance": "75 056"},
    {"nom_naissance": "A", "prenoms": ["B"], "sexe": "M", "date_naissance": "1980-01-01",
     "champ_inconnu": 1},
])
def test_malformed_bodies(live, body):
    assert_outcome(live.http("medecin").post("/insi/recuperation/traits", json=body), 400)


def test_every_call_is_an_event(live, connect_as, population):
    s = connect_as("medecin")
    me = s.me()
    patient = next(p for p in population.identities() if p.identity.matricule and not p.related_to)
    before = len(events(live.sandbox, "classe-a", service="insi"))
    s.insi.search(**traits(patient))
    s.insi.search(carte_vitale=patient.vitale)
    s.insi.verify(patient.identity.matricule, **traits(patient))
    after = events(live.sandbox, "classe-a", service="insi")
    assert len(after) == before + 3
    for event in after[-3:]:
        assert event.persona == me["login"] and event.role == "medecin"
        assert event.patient == patient.id
        assert event.outcome == "success"
        assert event.detail["code_retour"] == "00"
    assert [e.action for e in after[-3:]] == ["insi.search", "insi.search", "insi.verify"]


def test_a_search_by_traits_records_what_was_asked(live, connect_as, population):
    """The progressive search shows in the trace: how many given names, whether the birthplace."""
    s = connect_as("medecin")
    a, _ = homonyms(population, same_given=False)[0]
    s.insi.search(**traits(a, given=a.identity.given_names[:1]))
    s.insi.search(**traits(a, place=True))
    asked = [(e.detail["prenoms"], e.detail["lieu_naissance"], e.detail["code_retour"])
             for e in events(live.sandbox, "classe-a", service="insi")[-2:]]
    assert asked == [(1, False, "02"), (len(a.identity.given_names), True, "00")]


def test_refusal_is_traced(live, connect_as):
    student = connect_as("etudiant")
    with pytest.raises(AccessDenied, match="INSi"):
        student.insi.search(nom="A", prenoms="B", sexe="F", date_naissance="2000-01-01")
    refused = events(live.sandbox, "classe-a", service="insi")[-1]
    assert (refused.persona, refused.outcome) == ("etudiant", "refused")
