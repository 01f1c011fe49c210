"""Directory of professionals and establishments: identifiers, mailboxes, sizing, lookups."""

import random
import re
from collections import Counter

import pytest

from synthetic_data import referentials as ref
from synthetic_data.model import Organization, Practitioner
from synthetic_data.professionals import (
    MAILBOX_TYPES,
    directory,
    is_valid_finess,
    is_valid_rpps,
    luhn_digit,
    slug,
)

# Real identifiers seen in public Annuaire Santé / ROR and FINESS extracts.
REAL_RPPS = ["10108275248", "10106917841", "10002875374", "10002921293", "10111259189"]
REAL_FINESS = ["010003820", "010003812", "750712184"]


@pytest.fixture(scope="module")
def book():
    return directory(3, 10_000)


def test_luhn_digit_on_textbook_values():
    assert luhn_digit("7992739871") == "3"
    assert luhn_digit("1000000113") == "0"


@pytest.mark.parametrize("value", REAL_RPPS)
def test_real_rpps_numbers_pass_and_any_changed_digit_fails(value):
    assert is_valid_rpps(value)
    for position in range(11):
        altered = value[:position] + str((int(value[position]) + 1) % 10) + value[position + 1 :]
        assert not is_valid_rpps(altered)


@pytest.mark.parametrize("value", REAL_FINESS)
def test_real_finess_numbers_pass(value):
    assert is_valid_finess(value)
    assert not is_valid_finess(value[:8] + str((int(value[8]) + 1) % 10))


def test_ids_and_identifiers_are_well_formed_and_unique(book):
    assert [o.id for o in book.organizations] == [f"org-{i:04d}" for i in range(1, len(book.organizations) + 1)]
    assert [p.id for p in book.practitioners] == [f"pra-{i:04d}" for i in range(1, len(book.practitioners) + 1)]
    rpps = [p.rpps for p in book.practitioners]
    assert all(is_valid_rpps(value) for value in rpps)
    assert len(set(rpps)) == len(rpps)
    assert all(p.id_nat_ps == "8" + p.rpps for p in book.practitioners)
    finess = [o.finess for o in book.organizations] + [o.finess_legal for o in book.organizations]
    assert all(is_valid_finess(value) for value in finess)
    assert len(set(finess)) == len(finess)


def test_finess_starts_with_the_departement_of_the_site(book):
    for organization in book.organizations:
        departement = ref.communes()[organization.address.insee].departement
        assert organization.finess.startswith(departement[:3] if len(departement) == 3 else departement)
        assert organization.finess_legal[:2] == organization.finess[:2]


def test_addresses_are_real_places(book):
    for organization in book.organizations:
        commune = ref.communes()[organization.address.insee]
        assert organization.address.postal_code in commune.postal_codes
        assert organization.address.city == commune.city
        assert commune.population >= ref.establishment_types()[organization.kind].min_population


def test_sizes_scale_with_the_population():
    small, big = directory(1, 10), directory(1, 90_000)
    for book in (small, big):
        roles = Counter((p.profession, p.specialty) for p in book.practitioners)
        for specialty in ref.specialties().values():
            assert roles[("10", specialty.code)] >= specialty.minimum
        for profession in ref.professions().values():
            if profession.per_inhabitants:
                assert roles[(profession.code, None)] >= profession.minimum
    gps = sum(p.specialty == "SM54" for p in big.practitioners)
    assert gps == 100  # one GP per 900 inhabitants
    assert len(big.practitioners) > 5 * len(small.practitioners)
    kinds = Counter(o.kind for o in small.organizations)
    assert all(kinds[kind.kind] >= kind.minimum for kind in ref.establishment_types().values())


def test_every_practitioner_works_where_the_role_is_hosted(book):
    kinds = ref.establishment_types()
    for practitioner in book.practitioners:
        organization = book.by_id(practitioner.organization_id)
        assert isinstance(organization, Organization)
        role = f"10/{practitioner.specialty}" if practitioner.specialty else practitioner.profession
        assert role in kinds[organization.kind].hosts
    staffed = {p.organization_id for p in book.practitioners}
    assert staffed == {o.id for o in book.organizations}


def test_mailboxes_are_unique_lowercase_ascii_and_typed(book):
    addresses = [m.address for m in book.mailboxes]
    assert len(set(addresses)) == len(addresses)
    pattern = re.compile(r"^[a-z0-9.-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.mssante\.fr$")
    assert all(pattern.match(address) for address in addresses), addresses
    assert {m.type for m in book.mailboxes} <= set(MAILBOX_TYPES)
    assert {m.type for m in book.mailboxes} == {"PER", "ORG", "APP", "CAB"}
    owners = {m.address: m.owner_id for m in book.mailboxes}
    for practitioner in book.practitioners:
        assert owners[practitioner.mssante] == practitioner.id
        domain = ref.professions()[practitioner.profession].mssante_domain
        assert practitioner.mssante.endswith("@" + domain)
        assert practitioner.mssante.startswith(slug(practitioner.given_name) + ".")
    for organization in book.organizations:
        assert owners[organization.mssante] == organization.id


def test_hospitals_have_service_mailboxes(book):
    hospitals = [o for o in book.organizations if o.kind in ("CH", "CHU")]
    assert hospitals
    for hospital in hospitals:
        domain = hospital.mssante.split("@")[1]
        assert re.fullmatch(r"(ch|chu)-[a-z0-9-]+\.mssante\.fr", domain)
        boxes = {m.address for m in book.mailboxes if m.owner_id == hospital.id}
        assert f"cardiologie@{domain}" in boxes and f"maternite@{domain}" in boxes


def test_colliding_names_get_a_digit():
    book = directory(4, 200_000)
    per = [m.address for m in book.mailboxes if m.type == "PER"]
    assert any(re.match(r"^[a-z-]+\.[a-z-]+\d+@", address) for address in per)
    assert len(set(per)) == len(per)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("N'Diaye", "ndiaye"), ("Le Gall", "le-gall"), ("Jean-Marie", "jean-marie"), ("Héloïse", "heloise"), ("Saint-Étienne", "saint-etienne")],
)
def test_slug_folds_to_ascii(text, expected):
    assert slug(text) == expected


def test_pick_matches_role_and_prefers_nearby(book):
    rng = random.Random(4)
    for _ in range(50):
        gp = book.pick(rng, "10", "SM54")
        assert (gp.profession, gp.specialty) == ("10", "SM54")
    nurse = book.pick(rng, "60")
    assert nurse.profession == "60"
    for gp in (p for p in book.practitioners if p.specialty == "SM54"):
        home = book.by_id(gp.organization_id).address.insee
        departement = ref.communes()[home].departement
        chosen = book.pick(rng, "10", "SM54", near_insee=home)
        assert ref.communes()[book.by_id(chosen.organization_id).address.insee].departement == departement


def test_pick_and_by_id_errors_are_french(book):
    with pytest.raises(KeyError, match="aucun professionnel pour la profession"):
        book.pick(random.Random(1), "10", "SM99")
    with pytest.raises(KeyError, match="aucun professionnel ni établissement"):
        book.by_id("pra-9999")
    with pytest.raises(ValueError, match="négative"):
        directory(1, -5)


def test_same_seed_same_directory_other_seed_other_directory(book):
    again = directory(3, 10_000)
    assert again.organizations == book.organizations
    assert again.practitioners == book.practitioners
    assert again.mailboxes == book.mailboxes
    other = directory(4, 10_000)
    assert [p.rpps for p in other.practitioners] != [p.rpps for p in book.practitioners]
    assert isinstance(book.by_id(book.practitioners[0].id), Practitioner)
