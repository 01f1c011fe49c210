"""NIR / INS matricule: shape, control key and the strict-traits key INSi compares.

Matricule (15 characters) = sex (1) + birth year (2) + birth month (2) + birthplace (5) +
order number (3) + key (2). The birthplace part is the 5-character INSEE code itself:
département (2) + commune (3) in metropolitan France ("2A"/"2B" in Corsica), département (3) +
commune (2) overseas (97x/98x), or "99" + country code for people born abroad.
Key = 97 − (N mod 97), N being the 13 first characters read as a number, with 2A read as 19
and 2B as 18 (CNAM's published rule).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from synthetic_data.model import Identity, Sex

# INS identifier systems (FR Core). The sandbox only ever emits the test and demo systems.
OID_INS_NIR = "urn:oid:1.2.250.1.213.1.4.8"  # real INS-NIR: documentation only, never emitted
OID_INS_NIA = "urn:oid:1.2.250.1.213.1.4.9"  # real INS-NIA: documentation only, never emitted
OID_INS_TEST = "urn:oid:1.2.250.1.213.1.4.10"  # test identities: what the sandbox emits
OID_INS_DEMO = "urn:oid:1.2.250.1.213.1.4.11"  # demonstration identities

_CORSICA = {"2A": "19", "2B": "18"}
_MATRICULE = re.compile(r"^[12]\d{2}(0[1-9]|1[0-2])(\d{2}|2A|2B)\d{3}\d{3}\d{2}$")


def _numeric(body: str) -> int:
    """The 13 characters as a number, Corsican départements replaced by their numeric stand-in."""
    dept = body[5:7]
    return int(body[:5] + _CORSICA.get(dept, dept) + body[7:])


def nir_key(body: str) -> str:
    """Two-digit control key of a 13-character NIR body.

    >>> nir_key("1631278477042")
    '94'
    """
    if len(body) != 13:
        raise ValueError(f"le NIR sans clé doit compter 13 caractères, reçu {len(body)} : {body!r}")
    try:
        number = _numeric(body.upper())
    except ValueError:
        raise ValueError(f"NIR mal formé (chiffres attendus, 2A/2B pour la Corse) : {body!r}") from None
    return f"{97 - number % 97:02d}"


def make_matricule(sex: Sex, birth_date: date, birthplace: str, order: int) -> str:
    """The 15-character matricule of a person: body built from the traits, then its key."""
    if len(birthplace) != 5:
        raise ValueError(f"code de lieu de naissance INSEE sur 5 caractères attendu : {birthplace!r}")
    if not 1 <= order <= 999:
        raise ValueError(f"numéro d'ordre entre 001 et 999 attendu, reçu {order}")
    body = f"{1 if sex is Sex.MALE else 2}{birth_date.year % 100:02d}{birth_date.month:02d}{birthplace}{order:03d}"
    return body + nir_key(body)


def is_valid_matricule(value: str) -> bool:
    """True for a well-shaped 15-character matricule whose key matches its 13 first characters."""
    value = value.upper()
    return bool(_MATRICULE.match(value)) and nir_key(value[:13]) == value[13:]


def matricule_prefix(matricule: str) -> str:
    """Sex, year, month and birthplace (10 characters): the space order numbers must be unique in."""
    return matricule[:10]


# --- strict traits as INSi compares them ---------------------------------------------------

_LIGATURES = str.maketrans({"Œ": "OE", "œ": "oe", "Æ": "AE", "æ": "ae", "’": "'", "‘": "'", "ʼ": "'"})
_SPACES = re.compile(r"\s+")
_AROUND_HYPHEN = re.compile(r"\s*-\s*")
_AROUND_APOSTROPHE = re.compile(r"\s*'\s*")


def normalize_trait(text: str) -> str:
    """Upper case, diacritics removed, ligatures spelt out; hyphens, apostrophes and single
    spaces kept, as the INS traits are written (identitovigilance rules for INSi).

    >>> normalize_trait("  N’Diaye - Lefèvre ")
    "N'DIAYE-LEFEVRE"
    """
    text = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).upper()
    text = _AROUND_APOSTROPHE.sub("'", _AROUND_HYPHEN.sub("-", _SPACES.sub(" ", text))).strip()
    return text


def strict_traits_key(identity: Identity) -> tuple[str, tuple[str, ...], str, str, str]:
    """The strict traits in comparable form: birth name, given names, sex, birth date, birthplace.

    Two identities INSi cannot tell apart share this key; homonyms differ in exactly one field.
    """
    return (
        normalize_trait(identity.birth_name),
        tuple(normalize_trait(name) for name in identity.given_names),
        identity.sex.value,
        identity.birth_date.isoformat(),
        identity.birthplace.upper(),
    )
