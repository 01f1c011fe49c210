"""French referentials: real communes and postal codes, country codes, names, professions."""

import random
import re
from collections import Counter
from datetime import date

import pytest

from synthetic_data import referentials as ref
from synthetic_data.model import Sex


def test_communes_are_the_real_current_ones():
    communes = ref.communes()
    current = [c for c in communes.values() if c.kind == "C"]
    assert 34_000 < len(current) < 36_000
    assert sum(c.kind == "ARM" for c in communes.values()) == 45  # Paris 20, Lyon 9, Marseille 16
    ajaccio = ref.commune("2A004")
    assert (ajaccio.name, ajaccio.departement, ajaccio.zone) == ("Ajaccio", "2A", "metro")
    assert ref.commune("2B033").name == "Bastia"
    assert ref.commune("97411").name == "Saint-Denis" and ref.commune("97411").zone == "drom"
    assert ref.commune("01001").name == "L'Abergement-Clémenciat"


def test_arrondissements_use_their_own_postal_code_and_the_city_name():
    paris15 = ref.commune("75115")
    assert paris15.kind == "ARM" and paris15.parent == "75056"
    assert paris15.postal_codes == ("75015",)
    assert paris15.city == "Paris"
    assert ref.commune("69383").city == "Lyon"
    assert ref.commune("13205").city == "Marseille"


def test_postal_codes_are_five_digits_and_belong_to_their_departement():
    communes = list(ref.communes().values())
    assert all(re.fullmatch(r"\d{5}", code) for c in communes for code in c.postal_codes)

    def expected_prefix(c: ref.Commune) -> str:
        return "20" if c.departement in ("2A", "2B") else c.departement

    inhabited = [c for c in communes if c.postal_codes]
    matching = sum(c.postal_codes[0].startswith(expected_prefix(c)) for c in inhabited)
    # a handful of communes are served by a post office across the border of their département
    assert matching / len(inhabited) > 0.99
    assert all(c.postal_codes[0].startswith(c.departement) for c in inhabited if c.zone == "drom")


def test_unknown_commune_is_a_french_error():
    with pytest.raises(KeyError, match="code commune INSEE inconnu"):
        ref.commune("00000")


def test_weighted_communes_follow_population_and_reach_corsica_and_overseas():
    rng = random.Random(11)
    draws = [ref.weighted_commune(rng) for _ in range(40_000)]
    codes = Counter(c.insee for c in draws)
    assert "75056" not in codes and "69123" not in codes and "13055" not in codes
    assert any(c.departement in ("2A", "2B") for c in draws)
    assert any(c.zone == "drom" for c in draws)
    assert all(c.postal_codes for c in draws)
    # Paris holds about 3 % of the population: its arrondissements should get about that share.
    paris = sum(1 for c in draws if c.parent == "75056") / len(draws)
    assert 0.02 < paris < 0.04


def test_min_population_keeps_small_villages_out():
    rng = random.Random(3)
    assert all(ref.weighted_commune(rng, 50_000).population >= 50_000 for _ in range(500))


def test_country_codes_are_insee_99xxx_with_known_ones():
    countries = ref.countries()
    assert all(re.fullmatch(r"99\d{3}", code) for code in countries)
    expected = {
        "99350": "Maroc",
        "99352": "Algérie",
        "99351": "Tunisie",
        "99134": "Espagne",
        "99139": "Portugal",
        "99127": "Italie",
        "99109": "Allemagne",
        "99131": "Belgique",
        "99140": "Suisse",
        "99341": "Sénégal",
        "99216": "Chine",
        "99404": "États-Unis",
    }
    assert {code: countries[code].name for code in expected} == expected
    assert ref.birthplace_exists("99350") and ref.birthplace_exists("75115")
    assert not ref.birthplace_exists("99999") and not ref.birthplace_exists("75056x")


def test_country_draws_favour_the_main_countries_of_birth():
    rng = random.Random(5)
    counts = Counter(ref.weighted_country(rng).insee for _ in range(20_000))
    assert counts["99352"] > counts["99404"] * 5


@pytest.mark.parametrize(
    ("name", "shape"),
    [
        ("MARTIN", "plain"),
        ("Jean-Marie", "composite"),
        ("Le Gall", "composite"),
        ("N'Diaye", "marked"),
        ("Héloïse", "marked"),
        ("Marie-Thérèse", "composite+marked"),
    ],
)
def test_name_shapes(name, shape):
    assert ref.name_shape(name) == shape


def test_given_names_depend_on_sex_and_birth_year():
    old_women = set(ref.given_names(Sex.FEMALE, 1935).items)
    young_men = set(ref.given_names(Sex.MALE, 2015).items)
    assert "Jacqueline" in old_women and "Léa" not in old_women
    assert "Gabriel" in young_men and "Gérard" not in young_men
    assert not old_women & set(ref.given_names(Sex.MALE, 1935).items) - {"Dominique", "Claude"}
    assert all(ref.name_shape(n) == "plain" for n in ref.given_names(Sex.FEMALE, 1990, "plain").items)
    # no composite female name was popular in 2015: the whole period is used instead
    assert not ref.has_given_names(Sex.FEMALE, 2015, "composite")
    assert "Anne-Sophie" in ref.given_names(Sex.FEMALE, 2015, "composite").items


def test_pitfall_names_exist_in_every_shape():
    for shape in ("plain", "composite", "marked"):
        assert len(ref.surnames(shape)) > 10
    assert {"N'Diaye", "D'Almeida", "Lefèvre"} <= set(ref.surnames("marked").items)
    assert "de La Fontaine" in ref.surnames("composite").items
    assert {"Jean-Marie", "Marie-Claire", "Anne-Sophie"} <= set(
        ref.given_names(Sex.MALE, None, "composite").items + ref.given_names(Sex.FEMALE, None, "composite").items
    )
    assert {"Héloïse", "Gaëlle", "Zoé", "Noël"} <= set(
        ref.given_names(Sex.MALE, None, "marked").items + ref.given_names(Sex.FEMALE, None, "marked").items
    )


def test_age_pyramid_has_both_sexes_and_more_old_women_than_old_men():
    bands = ref.age_pyramid()
    assert {band.sex for band in bands.items} == {Sex.MALE, Sex.FEMALE}
    rng = random.Random(9)
    old = Counter(b.sex for b in (bands.pick(rng) for _ in range(50_000)) if b.age_from >= 85)
    assert old[Sex.FEMALE] > 1.5 * old[Sex.MALE]


def test_a_band_birth_date_gives_an_age_inside_the_band_in_mean_years():
    reference = date(2026, 1, 1)
    rng = random.Random(3)
    for band in (ref.AgeBand(0, 4, Sex.FEMALE), ref.AgeBand(65, 69, Sex.MALE), ref.AgeBand(100, 104, Sex.FEMALE)):
        for _ in range(2000):
            years = (reference - band.birth_date(rng, reference)).days / ref.DAYS_PER_YEAR
            assert band.age_from < years <= band.age_to + 1


def test_the_general_practitioner_is_a_physician_in_general_medicine():
    profession, specialty = ref.GENERAL_PRACTITIONER
    assert ref.professions()[profession].label == "Médecin"
    assert ref.specialties()[specialty].label == "Médecine générale"


def test_professions_and_specialties_use_ans_codes():
    professions = ref.professions()
    assert {code: p.label for code, p in professions.items()} == {
        "10": "Médecin",
        "21": "Pharmacien",
        "40": "Chirurgien-dentiste",
        "50": "Sage-femme",
        "60": "Infirmier",
        "70": "Masseur-kinésithérapeute",
    }
    assert all(p.mssante_domain.endswith(".mssante.fr") for p in professions.values())
    specialties = ref.specialties()
    assert specialties["SM54"].label == "Médecine générale"
    assert specialties["SM04"].label.startswith("Cardiologie")
    assert specialties["SM41"].label == "Pneumologie"
    assert all(re.fullmatch(r"SM\d{2}", code) for code in specialties)


def test_establishment_types_are_consistent_with_the_other_tables():
    types = ref.establishment_types()
    assert types["CH"].finess_category == "355"
    assert types["PHARMACIE"].finess_category == "620"
    assert types["EHPAD"].finess_category == "500"
    for kind in types.values():
        assert all(box_type in ("ORG", "CAB", "APP") for _, box_type in kind.mailboxes)
        for host in kind.hosts:
            profession, _, specialty = host.partition("/")
            assert profession in ref.professions()
            assert not specialty or specialty in ref.specialties()
    hosted = {h for kind in types.values() for h in kind.hosts}
    assert {f"10/{code}" for code in ref.specialties()} <= hosted
    assert {c for c, p in ref.professions().items() if p.per_inhabitants} <= hosted


def test_fictional_phones_stay_in_arcep_blocks():
    rng = random.Random(1)
    pattern = re.compile(r"^(01 99 00|02 61 91|03 53 01|04 65 71|05 36 49|06 39 98) \d{2} \d{2}$")
    regions = {c.region for c in ref.communes().values()}
    for region in regions:
        for _ in range(20):
            assert pattern.match(ref.fictional_phone(rng, region))
    assert ref.fictional_phone(rng, "11", landline_share=1.0).startswith("01 99 00")
    assert ref.fictional_phone(rng, "04", landline_share=1.0).startswith("06 39 98")  # Réunion
