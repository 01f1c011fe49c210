"""NIR / INS matricule: shape, control key and the strict-traits key INSi compares.

Matricule (15 characters) = sex (1) + birth year (2) + birth month (2) + birthplace (5) +
order number (3) + key (2). The birthplace part is the 5-character INSEE code itself:
département (2) + commune (3) in metropolitan France ("2A"/"2B" in Corsica), département (3) +
commune (2) overseas (97x/98x), or "99" + country code for people born abroad.
Key = 97 − (N mod 97), N being the 13 first characters read as a number, with 2A read as 19
and 2B as 18 (CNAM's published rule).

Month codes: 01–12, or a fictitious month when the civil-status record gives no month (20–42
and 50–99, INSEE's NIR rules): the person's birth date is then known by its year alone.
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
_MONTH = r"(?:0[1-9]|1[0-2]|2\d|3\d|4[0-2]|[5-9]\d)"  # 01–12, or a fictitious 20–42 / 50–99
_MATRICULE = re.compile(rf"^[12]\d{{2}}{_MONTH}(\d{{2}}|2A|2B)\d{{3}}\d{{3}}\d{{2}}$")
UNKNOWN_MONTH_CODES = (20, 42)  # the fictitious month codes the population draws from


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


def make_matricule(
    sex: Sex, birth_date: date, birthplace: str, order: int, month_code: int | None = None
) -> str:
    """The 15-character matricule of a person: body built from the traits, then its key;
    `month_code` replaces the month when the civil-status record gives none (20–42, 50–99)."""
    if len(birthplace) != 5:
        raise ValueError(f"code de lieu de naissance INSEE sur 5 caractères attendu : {birthplace!r}")
    if not 1 <= order <= 999:
        raise ValueError(f"numéro d'ordre entre 001 et 999 attendu, reçu {order}")
    month = birth_date.month if month_code is None else month_code
    body = f"{1 if sex is Sex.MALE else 2}{birth_date.year % 100:02d}{month:02d}{birthplace}{order:03d}"
    return body + nir_key(body)


def matricule_problem(value: str) -> str | None:
    """What is wrong with a matricule, in French, naming the first faulty part; None if valid.

    >>> matricule_problem("279035121518989") is None
    True
    >>> matricule_problem("279135121518989")
    "Mois de naissance « 13 » impossible dans le matricule : 01 à 12, ou un mois fictif 20 à 42 ou 50 à 99 quand l'état civil ne donne pas le mois."
    """
    value = value.upper()
    if len(value) != 15:
        return f"Le matricule INS compte 15 caractères (13 + une clé de 2 chiffres) ; reçu {len(value)}."
    if value[0] not in "12":
        return f"Premier caractère « {value[0]} » impossible : 1 (homme) ou 2 (femme)."
    if not value[1:3].isdigit():
        return f"Année de naissance « {value[1:3]} » mal formée : deux chiffres attendus."
    if not re.fullmatch(_MONTH, value[3:5]):
        return (f"Mois de naissance « {value[3:5]} » impossible dans le matricule : 01 à 12, ou un "
                "mois fictif 20 à 42 ou 50 à 99 quand l'état civil ne donne pas le mois.")
    if not re.fullmatch(r"(\d{2}|2A|2B)\d{3}", value[5:10]):
        return (f"Lieu de naissance « {value[5:10]} » mal formé : code INSEE de 5 caractères "
                "(2A/2B pour la Corse, 99 + code pays à l'étranger).")
    if not value[10:].isdigit():
        return "Numéro d'ordre et clé : 5 chiffres attendus en fin de matricule."
    if nir_key(value[:13]) != value[13:]:
        return ("La clé de contrôle (deux derniers chiffres) ne correspond pas aux 13 premiers "
                "caractères. Vérifiez la saisie.")
    return None


def is_valid_matricule(value: str) -> bool:
    """True for a well-shaped 15-character matricule whose key matches its 13 first characters."""
    return matricule_problem(value) is None


def month_is_unknown(matricule: str) -> bool:
    """True when the matricule carries a fictitious month (the birth month is not known)."""
    return int(matricule[3:5]) > 12


def matricule_prefix(matricule: str) -> str:
    """Sex, year, month and birthplace (10 characters): the space order numbers must be unique in."""
    return matricule[:10]


# --- strict traits as INSi compares them ---------------------------------------------------

_LIGATURES = str.maketrans({"Œ": "OE", "œ": "oe", "Æ": "AE", "æ": "ae", "’": "'", "‘": "'", "ʼ": "'"})
_SPACES = re.compile(r"\s+")
_AROUND_HYPHEN = re.compile(r"\s*-\s*")
_AROUND_APOSTROPHE = re.compile(r"\s*'\s*")


def normalize_trait(text: str) -> str:
    """A name as the INSi returns it and the RNIV stores a strict trait: upper case, diacritics
    removed, ligatures spelt out (Œ → OE, Æ → AE), typographic apostrophes made straight, one
    space between words, no space around a hyphen or an apostrophe (ANS, « Guide
    d'implémentation de l'identité INS dans les logiciels » and référentiel INS: traits written
    with the letters A–Z, the space, the hyphen and the apostrophe only).

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
