"""NIR / INS matricule rules: worked checks from the design, key properties, traits normalisation."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from synthetic_data.model import Identity, Sex
from synthetic_data.nir import (
    OID_INS_DEMO,
    OID_INS_NIA,
    OID_INS_NIR,
    OID_INS_TEST,
    is_valid_matricule,
    make_matricule,
    matricule_problem,
    nir_key,
    normalize_trait,
    strict_traits_key,
)


def test_worked_checks_from_the_design():
    assert nir_key("1631278477042") == "94"
    assert is_valid_matricule("279035121518989")
    assert nir_key("2790351215189") == "89"
    assert nir_key("190012A001001") == "56"


def test_corsica_is_read_as_19_and_18():
    assert nir_key("190012A001001") == nir_key("1900119001001")
    assert nir_key("190012B001001") == nir_key("1900118001001")
    assert nir_key("190012A001001") != nir_key("190012B001001")


def test_wrong_keys_and_shapes_are_rejected():
    assert not is_valid_matricule("279035121518988")  # key off by one
    assert not is_valid_matricule("379035121518989")  # sex digit 3
    assert not is_valid_matricule("279135121518989")  # month 13
    assert not is_valid_matricule("27903512151898")  # 14 characters
    assert not is_valid_matricule("2790351215189AB")


@given(st.text(alphabet="0123456789", min_size=13, max_size=13))
def test_key_completes_the_number_to_a_multiple_of_97(body):
    key = nir_key(body)
    assert len(key) == 2 and 1 <= int(key) <= 97
    assert (int(body) + int(key)) % 97 == 0


@given(
    st.text(alphabet="0123456789", min_size=13, max_size=13),
    st.integers(min_value=0, max_value=12),
    st.integers(min_value=1, max_value=9),
)
def test_any_single_digit_error_changes_the_key(body, position, shift):
    """97 is prime and above 10: a mistyped digit can never keep the same key."""
    altered = body[:position] + str((int(body[position]) + shift) % 10) + body[position + 1 :]
    assert nir_key(altered) != nir_key(body)


@given(
    st.sampled_from(list(Sex)),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31)),
    st.sampled_from(["75115", "2A004", "2B033", "97411", "98735", "99350", "01001"]),
    st.integers(min_value=1, max_value=999),
)
def test_matricule_carries_the_traits(sex, birth_date, birthplace, order):
    matricule = make_matricule(sex, birth_date, birthplace, order)
    assert len(matricule) == 15
    assert is_valid_matricule(matricule)
    assert matricule[0] == ("1" if sex is Sex.MALE else "2")
    assert matricule[1:3] == f"{birth_date.year % 100:02d}"
    assert matricule[3:5] == f"{birth_date.month:02d}"
    assert matricule[5:10] == birthplace
    assert matricule[10:13] == f"{order:03d}"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        ((Sex.MALE, date(1980, 1, 1), "7511", 1), "5 caractères"),
        ((Sex.MALE, date(1980, 1, 1), "75115", 0), "numéro d'ordre"),
        ((Sex.MALE, date(1980, 1, 1), "75115", 1000), "numéro d'ordre"),
    ],
)
def test_bad_matricule_input_says_what_is_wrong_in_french(args, fragment):
    with pytest.raises(ValueError, match=fragment):
        make_matricule(*args)


def test_bad_key_input_is_a_french_error():
    with pytest.raises(ValueError, match="13 caractères"):
        nir_key("123")
    with pytest.raises(ValueError, match="mal formé"):
        nir_key("1900X2A001001")


def test_ins_oids_follow_fr_core_and_sandbox_uses_test_and_demo():
    assert OID_INS_NIR == "urn:oid:1.2.250.1.213.1.4.8"
    assert OID_INS_NIA == "urn:oid:1.2.250.1.213.1.4.9"
    assert OID_INS_TEST == "urn:oid:1.2.250.1.213.1.4.10"
    assert OID_INS_DEMO == "urn:oid:1.2.250.1.213.1.4.11"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Lefèvre", "LEFEVRE"),
        ("N’Diaye", "N'DIAYE"),
        ("  de  La   Fontaine ", "DE LA FONTAINE"),
        ("Martin - Dupont", "MARTIN-DUPONT"),
        ("Héloïse", "HELOISE"),
        ("Gaëlle", "GAELLE"),
        ("Cœur", "COEUR"),
        ("d ' Almeida", "D'ALMEIDA"),
    ],
)
def test_traits_are_normalised_as_insi_compares_them(raw, expected):
    assert normalize_trait(raw) == expected


def test_strict_traits_key_ignores_case_accents_and_complementary_traits():
    one = Identity("LEFÈVRE", ["Zoé", "Anne-Sophie"], Sex.FEMALE, date(1990, 5, 2), "75115")
    two = Identity("Lefevre", ["ZOE", "ANNE-SOPHIE"], Sex.FEMALE, date(1990, 5, 2), "75115", used_name="MARTIN")
    assert strict_traits_key(one) == strict_traits_key(two)
    three = Identity("LEFÈVRE", ["Zoé", "Anne-Sophie"], Sex.FEMALE, date(1990, 5, 2), "75116")
    assert strict_traits_key(one) != strict_traits_key(three)


def test_fictitious_month_codes_are_valid_and_each_fault_is_named():
    """INSEE's NIR: months 01–12, or 20–42 / 50–99 when the civil-status record has no month."""
    body = "1502599350012"
    assert is_valid_matricule(body + nir_key(body))
    assert make_matricule(Sex.MALE, date(1950, 1, 1), "99350", 12, month_code=25) == body + nir_key(body)
    for month in ("13", "00", "45"):
        bad = f"150{month}99350012"
        assert "Mois de naissance" in matricule_problem(bad + nir_key(bad))
    assert "15 caractères" in matricule_problem("15025993500")
    assert "Premier caractère" in matricule_problem("350259935001299")
    assert "clé de contrôle" in matricule_problem(body + f"{(int(nir_key(body)) + 1) % 97:02d}")
