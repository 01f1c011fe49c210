"""Identity generator: matricules agree with traits, real places, pitfalls as flagged and as asked."""

import math
import re
from collections import Counter
from dataclasses import replace
from datetime import date

import pytest

from synthetic_data import referentials as ref
from synthetic_data.identities import PitfallRates, identity_pitfalls, people
from synthetic_data.model import IdentityStatus, Pitfall, Sex
from synthetic_data.nir import is_valid_matricule, normalize_trait, strict_traits_key

PHONE = re.compile(r"^(01 99 00|02 61 91|03 53 01|04 65 71|05 36 49|06 39 98) \d{2} \d{2}$")


@pytest.fixture(scope="module")
def population():
    return list(people(7, 5000))


@pytest.fixture(scope="module")
def large():
    return list(people(2026, 20_000))


def _by_id(patients):
    return {p.id: p for p in patients}


def test_exactly_n_people_with_sequential_ids(population):
    assert len(population) == 5000
    assert [p.id for p in population] == [f"pat-{i:06d}" for i in range(1, 5001)]
    assert len(list(people(7, 0))) == 0
    assert len(list(people(7, 1))) == 1


def test_matricule_agrees_with_the_traits(population):
    for patient in population:
        identity = patient.identity
        if identity.status is IdentityStatus.PROV:
            assert identity.matricule is None and identity.ins is None
            continue
        matricule = identity.matricule
        assert is_valid_matricule(matricule), matricule
        assert matricule[0] == ("1" if identity.sex is Sex.MALE else "2")
        assert matricule[1:3] == f"{identity.birth_date.year % 100:02d}"
        if identity.birth_year_only:  # a fictitious month: the record gives the year alone
            assert 20 <= int(matricule[3:5]) <= 42
        else:
            assert matricule[3:5] == f"{identity.birth_date.month:02d}"
        assert matricule[5:10] == identity.birthplace


def test_only_identities_retrieved_from_insi_carry_the_ins(population):
    """RNIV: RECUP and QUAL come from the INSi and carry the INS; VALI means no INS retrieved
    (the person still has a matricule in the national base), PROV is unknown there."""
    for patient in population:
        identity = patient.identity
        if identity.status in (IdentityStatus.RECUP, IdentityStatus.QUAL):
            assert identity.ins == identity.matricule is not None
        else:
            assert identity.ins is None
        if identity.status is IdentityStatus.VALI:
            assert identity.matricule is not None


def test_strict_traits_are_written_as_the_insi_returns_them(population):
    accented = 0
    for patient in population:
        identity = patient.identity
        for trait, written in [(identity.birth_name, identity.display_birth_name),
                               *zip(identity.given_names, identity.display_given_names, strict=True)]:
            assert re.fullmatch(r"[A-Z]+(?:[ '-][A-Z]+)*", trait), trait
            assert normalize_trait(written) == trait
            accented += written != trait.upper() or written != written.upper()
    assert accented > len(population)  # given names are written "Céline" on the record


def test_birthplaces_carry_the_code_in_force_at_birth(large):
    """Corsica is 20 before 1976, Seine and Seine-et-Oise 75/78 before 1968, Mayotte 985 before
    2011 (INSEE COG, referentials_data/birthplace_history.csv)."""
    seen = Counter()
    for patient in large:
        code, born = patient.identity.birthplace, patient.identity.birth_date
        current = ref.current_birthplace(code)
        if code.startswith(("2A", "2B")) or current.startswith(("2A", "2B")):
            assert code.startswith("20") == (born < date(1976, 1, 1)), (code, born)
            seen["corse"] += 1
        if current[:2] in {"91", "92", "93", "94", "95"} and current != code:
            assert code[:2] in {"75", "78"} and born < date(1968, 1, 1), (code, born)
            seen["seine"] += 1
        if code.startswith(("976", "985")):
            assert code.startswith("985") == (born < date(2011, 3, 31)), (code, born)
            seen["mayotte"] += 1
    assert seen["corse"] and seen["seine"] and seen["mayotte"], seen
    assert ref.birthplace_in_force("2B033", date(1975, 12, 31)) == "20033"
    assert ref.birthplace_in_force("92012", date(1967, 6, 1)) == "75012"
    assert ref.birthplace_in_force("92012", date(1968, 1, 1)) == "92012"
    assert ref.birthplace_in_force("97608", date(2000, 1, 1)) == "98508"


def test_year_only_birth_dates_are_born_abroad_single_people(large):
    partial = [p for p in large if p.identity.birth_year_only]
    assert partial
    for patient in partial:
        identity = patient.identity
        assert identity.birthplace.startswith("99") and not patient.related_to
        assert (identity.birth_date.month, identity.birth_date.day) == (1, 1)
        assert identity.ins_birth_date == f"{identity.birth_date.year}-00-00"


def test_matricules_and_vitale_serials_are_unique(large):
    matricules = [p.identity.ins for p in large if p.identity.ins]
    assert len(set(matricules)) == len(matricules)
    assert len({p.vitale for p in large}) == len(large)
    assert all(re.fullmatch(r"\d{10}", p.vitale) for p in large)


def test_birthplaces_and_residences_are_real_places(population):
    communes = ref.communes()
    for patient in population:
        assert ref.birthplace_exists(patient.identity.birthplace)
        commune = communes[patient.address.insee]
        assert patient.address.postal_code in commune.postal_codes
        assert patient.address.city == commune.city
        assert re.match(r"^\d+ \S+", patient.address.line)
        assert PHONE.match(patient.phone), patient.phone


def test_corsica_overseas_and_abroad_are_reachable(large):
    places = [p.identity.birthplace for p in large]
    assert any(code.startswith(("2A", "2B")) for code in places)
    assert any(code.startswith("97") for code in places)
    assert any(code.startswith("99") for code in places)
    assert any(p.address.insee.startswith("97") for p in large)


def test_flags_describe_the_identity_itself(population):
    for patient in population:
        readable = identity_pitfalls(patient.identity)
        assert patient.pitfalls - {Pitfall.TWIN, Pitfall.HOMONYM} == readable
        identity = patient.identity
        if Pitfall.APOSTROPHE_ACCENT not in readable:
            assert all(
                ch.isascii() and (ch.isalpha() or ch in " -")
                for ch in identity.display_birth_name + "".join(identity.display_given_names)
            )


def test_related_people_point_at_each_other(population):
    by_id = _by_id(population)
    for patient in population:
        for other in patient.related_to:
            assert patient.id in by_id[other].related_to
        assert bool(patient.related_to) == bool(patient.pitfalls & {Pitfall.TWIN, Pitfall.HOMONYM})


def test_homonyms_share_every_strict_trait_but_one(large):
    by_id = _by_id(large)
    pairs = [(p, by_id[p.related_to[0]]) for p in large if Pitfall.HOMONYM in p.pitfalls]
    assert len(pairs) > 100
    kinds = Counter()
    for one, two in pairs:
        assert one.identity.matricule and two.identity.matricule  # both in the national base
        a, b = strict_traits_key(one.identity), strict_traits_key(two.identity)
        differing = [i for i in range(5) if a[i] != b[i]]
        assert len(differing) == 1, (one.identity, two.identity)
        field = differing[0]
        assert field in (1, 4)  # given names or birthplace
        if field == 1:  # same first given name: only the other given names tell them apart
            assert a[1][0] == b[1][0] and len(a[1]) > 1
        kinds[field] += 1
    assert kinds[1] and kinds[4]


def test_twins_share_birth_name_date_and_place(large):
    by_id = _by_id(large)
    twins = [(p, by_id[p.related_to[0]]) for p in large if Pitfall.TWIN in p.pitfalls]
    assert len(twins) > 50
    for one, two in twins:
        i, j = one.identity, two.identity
        assert (i.birth_name, i.birth_date, i.birthplace) == (j.birth_name, j.birth_date, j.birthplace)
        assert i.given_names[0] != j.given_names[0]


def _within(observed: int, n: int, rate: float, slack: float = 0.005) -> bool:
    """Binomial tolerance: five standard deviations plus a small systematic slack."""
    return abs(observed / n - rate) <= 5 * math.sqrt(rate * (1 - rate) / n) + slack


def test_pitfall_rates_match_the_configuration(large):
    rates = PitfallRates()
    counts = Counter(p for patient in large for p in patient.pitfalls)
    expected = {
        Pitfall.HOMONYM: rates.homonym,
        Pitfall.COMPOSITE_NAME: rates.composite_name,
        Pitfall.APOSTROPHE_ACCENT: rates.apostrophe_accent,
        Pitfall.USED_NAME: rates.used_name,
        Pitfall.TWIN: rates.twin,
        Pitfall.BORN_ABROAD: rates.born_abroad,
        Pitfall.PROVISIONAL: rates.provisional,
        Pitfall.MULTIPLE_GIVEN_NAMES: rates.multiple_given_names,
        Pitfall.YEAR_ONLY_BIRTH_DATE: rates.year_only_birth_date,
    }
    for pitfall, rate in expected.items():
        assert _within(counts[pitfall], len(large), rate), (pitfall, counts[pitfall] / len(large))


def test_other_rates_are_honoured():
    rates = PitfallRates(homonym=0.1, twin=0.1, born_abroad=0.5, provisional=0.2, used_name=0.3)
    sample = list(people(5, 6000, rates))
    counts = Counter(p for patient in sample for p in patient.pitfalls)
    for pitfall, rate in (
        (Pitfall.HOMONYM, 0.1),
        (Pitfall.TWIN, 0.1),
        (Pitfall.BORN_ABROAD, 0.5),
        (Pitfall.PROVISIONAL, 0.2),
        (Pitfall.USED_NAME, 0.3),
    ):
        assert _within(counts[pitfall], len(sample), rate, slack=0.01), (pitfall, counts[pitfall])


@pytest.mark.parametrize(("seed", "n"), [(42, 200), (3, 50), (8, 51), (11, 60)])
def test_populations_from_fifty_hold_a_pair_of_each_kind(seed, n):
    sample = list(people(seed, n))
    for pitfall in (Pitfall.TWIN, Pitfall.HOMONYM):
        flagged = {p.id: p for p in sample if pitfall in p.pitfalls}
        assert len(flagged) >= 2 and len(flagged) % 2 == 0, (pitfall, sorted(flagged))
        assert all(len(p.related_to) == 1 and p.related_to[0] in flagged for p in flagged.values())


def test_pairs_are_forced_only_when_none_was_drawn_in_time():
    """Seed 42 draws no pair among its first 46 people (the lab's default population had
    none): the twins and the homonyms are then people 47–50, nobody else changes."""
    sample = list(people(42, 200))
    paired = [(p.id, sorted(map(str, p.pitfalls & {Pitfall.TWIN, Pitfall.HOMONYM})))
              for p in sample[:60] if p.related_to]
    assert paired == [("pat-000047", ["jumeau"]), ("pat-000048", ["jumeau"]),
                      ("pat-000049", ["homonyme"]), ("pat-000050", ["homonyme"])]
    none = PitfallRates(twin=0.0, homonym=0.0)
    assert [p.identity for p in people(42, 46, none)] == [p.identity for p in sample[:46]]


def test_zero_rates_give_plain_identities():
    none = PitfallRates(**dict.fromkeys(vars(PitfallRates()), 0.0))
    for patient in people(3, 2000, none):
        assert patient.pitfalls == set()
        assert patient.identity.status is not IdentityStatus.PROV


def test_statuses_are_mostly_qualified(large):
    statuses = Counter(p.identity.status for p in large)
    assert statuses[IdentityStatus.QUAL] / len(large) > 0.75
    assert statuses[IdentityStatus.RECUP] and statuses[IdentityStatus.VALI] and statuses[IdentityStatus.PROV]


def test_age_and_sex_structure_follows_the_pyramid(large):
    """The people alive in the ten years before 2026: those already born at the start have the
    ages of INSEE's census 2018 then, the others are the window's births."""
    start = date(2016, 1, 1)
    ages = [(start - p.identity.birth_date).days / 365.2425 for p in large]
    assert all(-10 <= age < 106 for age in ages)
    present = [age for age in ages if age >= 0]
    born_within = 1 - len(present) / len(ages)
    over_65 = sum(age >= 65 for age in present) / len(present)
    under_20 = sum(age < 20 for age in present) / len(present)
    assert 0.08 < born_within < 0.12  # ten years of about 750,000 births beside 66.7 M people
    assert 0.18 < over_65 < 0.22  # census 2018: 19.8 %
    assert 0.22 < under_20 < 0.26  # census 2018: 24.2 %
    women = sum(p.identity.sex is Sex.FEMALE for p in large) / len(large)
    assert 0.50 < women < 0.53


def test_used_names_go_to_adults_and_mostly_to_women(large):
    used = [p for p in large if Pitfall.USED_NAME in p.pitfalls]
    assert all(p.identity.birth_date.year <= 2006 for p in used)
    assert sum(p.identity.sex is Sex.FEMALE for p in used) > 0.75 * len(used)


def test_same_seed_same_people_other_seed_other_people(population):
    again = list(people(7, 5000))
    assert again == population
    other = list(people(8, 5000))
    assert [p.identity.ins for p in other] != [p.identity.ins for p in population]


def test_a_shorter_run_is_a_prefix_of_a_longer_one(population):
    """Streaming: groups do not depend on how many people follow."""
    short = list(people(7, 300))
    assert short[:299] == population[:299]


def test_reference_date_moves_births():
    later = list(people(7, 50, reference_date=date(2036, 1, 1)))
    base = list(people(7, 50))
    assert all(
        (a.identity.birth_date.year - b.identity.birth_date.year) in (9, 10, 11) for a, b in zip(later, base, strict=True)
    )


@pytest.mark.parametrize(
    ("change", "fragment"),
    [({"twin": 1.5}, "hors de"), ({"homonym": -0.1}, "hors de"), ({"twin": 0.5, "homonym": 0.5}, "sous 1")],
)
def test_bad_rates_are_french_errors(change, fragment):
    with pytest.raises(ValueError, match=fragment):
        replace(PitfallRates(), **change)


def test_negative_size_is_a_french_error():
    with pytest.raises(ValueError, match="négatif"):
        list(people(1, -1))
