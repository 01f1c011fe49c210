"""Small read-only API over the French referentials, whose tables (CSV, each naming its source
in `#` header lines) sit apart from the code in `referentials_data/`, as Faker keeps its data.

Every table is read once and cached. Weighted draws go through `WeightedTable.pick(rng)` with a
caller-supplied `random.Random`, so generators stay deterministic and never touch the global
`random`. Rebuild scripts for the derived tables live in `synthetic_data/data_sources/`.
"""

from __future__ import annotations

import bisect
import csv
import gzip
import io
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, fields
from datetime import date, timedelta
from functools import cache
from itertools import accumulate
from operator import attrgetter
from pathlib import Path
from typing import Generic, NamedTuple, TypeVar

from synthetic_data.model import Sex

DATA_DIR = Path(__file__).resolve().parent / "referentials_data"

T = TypeVar("T")
R = TypeVar("R")


class WeightedTable(Generic[T]):
    """Items with weights, drawn in O(log n) from a caller's `random.Random`."""

    __slots__ = ("_cum", "_total", "items")

    def __init__(self, pairs: Iterable[tuple[T, float]]):
        kept = [(item, weight) for item, weight in pairs if weight > 0]
        if not kept:
            raise ValueError("table pondérée vide : aucun élément de poids positif")
        self.items: list[T] = [item for item, _ in kept]
        self._cum = list(accumulate(weight for _, weight in kept))
        self._total = self._cum[-1]

    def pick(self, rng: random.Random) -> T:
        return self.items[bisect.bisect_right(self._cum, rng.random() * self._total)]

    def weighted_items(self) -> list[tuple[T, float]]:
        return [(item, b - a) for item, a, b in zip(self.items, [0.0, *self._cum], self._cum, strict=False)]

    def filter(self, keep: Callable[[T], bool]) -> WeightedTable[T]:
        return WeightedTable((item, w) for item, w in self.weighted_items() if keep(item))

    def __len__(self) -> int:
        return len(self.items)


def _rows(name: str) -> Iterator[dict[str, str]]:
    """Rows of a referential CSV (plain or gzipped), skipping '#' comment lines."""
    path = DATA_DIR / name
    raw = gzip.decompress(path.read_bytes()) if name.endswith(".gz") else path.read_bytes()
    lines = (line for line in io.StringIO(raw.decode("utf-8")) if not line.startswith("#"))
    yield from csv.DictReader(lines)


def _records(name: str, cls: type[R], **parse: Callable[[str], object]) -> list[R]:
    """Rows of a referential CSV as `cls` dataclasses, each field read from the column of its own
    name (converted by `parse[field]` when given, else kept as text), so a column moved or
    added in the file cannot shift values into the wrong field."""
    names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    return [cls(**{n: parse.get(n, str)(row[n]) for n in names}) for row in _rows(name)]


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# --- communes ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Commune:
    insee: str  # "75115", "2A004", "97411"
    name: str  # "Paris 15e Arrondissement", "Ajaccio"
    kind: str  # "C" current commune, "ARM" municipal arrondissement (Paris, Lyon, Marseille)
    parent: str  # INSEE code of the commune an arrondissement belongs to, "" otherwise
    departement: str  # "75", "2A", "974"
    region: str  # INSEE region code ("11" Île-de-France…)
    zone: str  # "metro", "drom" or "com"
    postal_codes: tuple[str, ...]  # main one first
    population: int

    @property
    def city(self) -> str:
        """Name used in postal addresses: "Paris" for "Paris 15e Arrondissement"."""
        return communes()[self.parent].name if self.parent else self.name


@cache
def communes() -> dict[str, Commune]:
    """Current communes and municipal arrondissements by INSEE code (Etalab, see build script)."""
    return {c.insee: c for c in _records("communes.csv.gz", Commune, postal_codes=_words, population=int)}


def commune(insee: str) -> Commune:
    try:
        return communes()[insee]
    except KeyError:
        raise KeyError(f"code commune INSEE inconnu : {insee!r}") from None


@cache
def _residential_communes() -> WeightedTable[Commune]:
    """Places people live and are born in, weighted by population.

    Paris, Lyon and Marseille count through their arrondissements (births and addresses carry
    the arrondissement code), so the parent commune itself is left out to avoid double counts.
    """
    table = communes()
    parents = {c.parent for c in table.values() if c.parent}
    return WeightedTable(
        (c, c.population) for c in table.values() if c.insee not in parents and c.postal_codes
    )


@cache
def _communes_from(min_population: int) -> WeightedTable[Commune]:
    return _residential_communes().filter(lambda c: c.population >= min_population)


def weighted_commune(rng: random.Random, min_population: int = 0) -> Commune:
    """A commune (or arrondissement) drawn in proportion to its population, optionally only
    among places of at least `min_population` inhabitants (hospitals sit in towns)."""
    return _communes_from(min_population).pick(rng)


# --- countries -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Country:
    insee: str  # "99350"
    name: str  # "Maroc"


@cache
def _country_table() -> WeightedTable[Country]:
    return WeightedTable(
        (Country(row["insee"], row["name"]), float(row["weight"])) for row in _rows("countries.csv")
    )


@cache
def countries() -> dict[str, Country]:
    """Countries of birth used by the population, by INSEE code (99xxx)."""
    return {c.insee: c for c in _country_table().items}


def weighted_country(rng: random.Random) -> Country:
    """A country of birth weighted by the immigrant population born there."""
    return _country_table().pick(rng)


class _FormerCode(NamedTuple):
    code: str  # the code in force for a birth before `until`
    until: date


@cache
def _former_codes() -> dict[str, _FormerCode]:
    """Today's commune code → its code before a département change (INSEE COG, see the build
    script `data_sources/build_birthplace_history.py` for the laws fixing each date)."""
    return {
        row["insee"]: _FormerCode(row["former"], date.fromisoformat(row["until"]))
        for row in _rows("birthplace_history.csv")
    }


@cache
def _current_of_former() -> dict[str, str]:
    return {former.code: insee for insee, former in _former_codes().items()}


def birthplace_in_force(code: str, birth_date: date) -> str:
    """The INSEE code of a birthplace as in force at the birth date, as the RNIV and the INSi
    record it: Ajaccio 2A004 was 20004 before 1976, Argenteuil 95018 was 78018 before 1968.

    >>> birthplace_in_force("2A004", date(1960, 5, 1)), birthplace_in_force("2A004", date(1990, 5, 1))
    ('20004', '2A004')
    """
    former = _former_codes().get(code)
    return former.code if former is not None and birth_date < former.until else code


def current_birthplace(code: str) -> str:
    """Today's code of a birthplace recorded under a former code (the code itself otherwise)."""
    return _current_of_former().get(code, code)


def birthplace_exists(code: str) -> bool:
    """True when `code` is a commune/arrondissement (today's or a former code), or a country."""
    return current_birthplace(code) in communes() or code in countries()


# --- names ---------------------------------------------------------------------------------


def name_shape(name: str) -> str:
    """"composite" (space or hyphen), "marked" (diacritic or apostrophe), both, or "plain"."""
    composite = " " in name or "-" in name
    marked = not all(ch.isascii() and (ch.isalpha() or ch in " -") for ch in name)
    if composite and marked:
        return "composite+marked"
    return "composite" if composite else "marked" if marked else "plain"


@dataclass(frozen=True, slots=True)
class _GivenName:
    name: str
    sex: Sex
    born_from: int
    born_to: int


@cache
def _given_name_rows() -> tuple[tuple[_GivenName, float], ...]:
    return tuple(
        (
            _GivenName(row["name"], Sex(row["sex"]), int(row["born_from"]), int(row["born_to"])),
            float(row["weight"]),
        )
        for row in _rows("given_names.csv")
    )


@cache
def given_names(sex: Sex, birth_year: int | None = None, shape: str | None = None) -> WeightedTable[str]:
    """Given names for a sex, popular in `birth_year` when given, of one `name_shape` if given.

    When no name of that shape was popular that year, the whole period is used instead, so a
    draw never fails for lack of data.
    """

    def select(by_year: bool) -> list[tuple[str, float]]:
        return [
            (g.name, w)
            for g, w in _given_name_rows()
            if g.sex == sex
            and (not by_year or birth_year is None or g.born_from <= birth_year <= g.born_to)
            and (shape is None or name_shape(g.name) == shape)
        ]

    return WeightedTable(select(True) or select(False))


@cache
def has_given_names(sex: Sex, birth_year: int, shape: str) -> bool:
    """True when some given name of that shape was popular for that sex in that birth year."""
    return any(
        g.sex == sex and g.born_from <= birth_year <= g.born_to and name_shape(g.name) == shape
        for g, _ in _given_name_rows()
    )


@cache
def surnames(shape: str | None = None) -> WeightedTable[str]:
    """Surnames (Faker fr_FR, rank-weighted, plus the curated pitfall list), of one shape."""
    pairs = [(row["name"], float(row["weight"])) for row in _rows("surnames.csv")]
    pairs += [(row["name"], float(row["weight"])) for row in _rows("surnames_pitfalls.csv")]
    unique = dict(pairs)
    return WeightedTable((n, w) for n, w in unique.items() if shape is None or name_shape(n) == shape)


# --- population structure ------------------------------------------------------------------


DAYS_PER_YEAR = 365.2425


@dataclass(frozen=True, slots=True)
class AgeBand:
    age_from: int
    age_to: int  # inclusive
    sex: Sex

    def birth_date(self, rng: random.Random, reference: date) -> date:
        """A birth date, uniform over the band, of someone that age on `reference` (ages
        counted in mean years of `DAYS_PER_YEAR` days)."""
        days = rng.randrange(int(self.age_from * DAYS_PER_YEAR), int((self.age_to + 1) * DAYS_PER_YEAR))
        return reference - timedelta(days=days + 1)


@cache
def age_pyramid() -> WeightedTable[AgeBand]:
    """(age band, sex) weighted by INSEE's population pyramid (census 2018): the one age
    structure of the project, taken as the population at the start of the history window."""
    pairs = []
    for row in _rows("population_pyramid.csv"):
        for sex, column in ((Sex.MALE, "male"), (Sex.FEMALE, "female")):
            pairs.append((AgeBand(int(row["age_from"]), int(row["age_to"]), sex), float(row[column])))
    return WeightedTable(pairs)


@cache
def window_population(years: int) -> WeightedTable[AgeBand]:
    """(single year of age at the end of the window, sex) of everyone alive at some time during
    a history window of `years` years: the pyramid's people (`age_pyramid`, spread evenly over
    each band's years) taken as the population at the window's start, `years` older at its end,
    and the children born within it, as many each year and of each sex as the pyramid's first
    band holds per year of age. Who dies within the window is the engine's draw (`mortality`),
    so the person-years lived follow France's age structure over the window (migration left out)."""
    pairs = []
    for band, weight in age_pyramid().weighted_items():
        per_age = weight / (band.age_to + 1 - band.age_from)
        for age in range(band.age_from, band.age_to + 1):
            pairs.append((AgeBand(age + years, age + years, band.sex), per_age))
        if band.age_from == 0:
            pairs.extend((AgeBand(age, age, band.sex), per_age) for age in range(years))
    return WeightedTable(pairs)


@cache
def identity_statuses() -> WeightedTable[str]:
    """Status shares for non-provisional identities (QUAL, RECUP, VALI)."""
    return WeightedTable((row["status"], float(row["weight"])) for row in _rows("identity_statuses.csv"))


@cache
def streets(kind: str) -> WeightedTable[str]:
    """Street types ("type") or street names ("name") for synthetic addresses."""
    return WeightedTable(
        (row["value"], float(row["weight"])) for row in _rows("streets.csv") if row["kind"] == kind
    )


@cache
def phone_prefixes() -> dict[str, tuple[str, ...]]:
    """Fictional phone prefixes (ARCEP) by INSEE region code, plus the "mobile" block."""
    table: dict[str, list[str]] = {}
    for row in _rows("phone_ranges.csv"):
        for key in row["regions"].split():
            table.setdefault(key, []).append(row["prefix"])
    return {key: tuple(values) for key, values in table.items()}


def fictional_phone(rng: random.Random, region: str, landline_share: float = 0.35) -> str:
    """A number from ARCEP's blocks reserved for fiction, so it can never ring anyone: a
    landline of the region's zone (when it has a fictional block) or a mobile."""
    prefixes = phone_prefixes()
    block = prefixes.get(region) if rng.random() < landline_share else None
    prefix = rng.choice(block or prefixes["mobile"])
    return f"{prefix} {rng.randrange(100):02d} {rng.randrange(100):02d}"


# --- professionals and establishments ------------------------------------------------------


class Practice(NamedTuple):
    """A kind of professional: a TRE_G15 profession code and, for physicians, a TRE_R38
    specialty code (both rows of `professions.csv` / `specialties.csv`)."""

    profession: str
    specialty: str | None


GENERAL_PRACTITIONER = Practice("10", "SM54")  # médecin, médecine générale: the médecin traitant


@dataclass(frozen=True, slots=True)
class Profession:
    code: str  # TRE_G15
    label: str
    label_female: str
    mssante_domain: str
    per_inhabitants: int  # 0: sized elsewhere (physicians, by specialty)
    minimum: int
    female_share: float


@dataclass(frozen=True, slots=True)
class Specialty:
    code: str  # TRE_R38
    label: str
    per_inhabitants: int
    minimum: int
    service: str  # hospital department hosting it ("cardiologie"), "" for general practice


@dataclass(frozen=True, slots=True)
class EstablishmentType:
    kind: str  # "CHU", "CH", "CLINIQUE", "MSP", "PHARMACIE", "LABO", "EHPAD"
    label: str
    finess_category: str
    name_pattern: str  # "Centre hospitalier de {ville}"
    domain_prefix: str  # MSSanté domain prefix: "ch" gives "ch-<ville>.mssante.fr"
    min_population: int  # smallest commune that may host one
    per_inhabitants: int
    minimum: int
    mailboxes: tuple[tuple[str, str], ...]  # (local part, mailbox type ORG/CAB/APP)
    hosts: tuple[str, ...]  # "60" (profession) or "10/SM04" (profession/specialty)


@cache
def professions() -> dict[str, Profession]:
    rows = _records("professions.csv", Profession, per_inhabitants=int, minimum=int, female_share=float)
    return {p.code: p for p in rows}


@cache
def specialties() -> dict[str, Specialty]:
    return {s.code: s for s in _records("specialties.csv", Specialty, per_inhabitants=int, minimum=int)}


@cache
def establishment_types() -> dict[str, EstablishmentType]:
    rows = _records(
        "establishment_types.csv", EstablishmentType, min_population=int, per_inhabitants=int,
        minimum=int, mailboxes=lambda text: tuple(tuple(box.split(":")) for box in text.split()),
        hosts=_words,
    )
    return {t.kind: t for t in rows}


# --- safe prescribing ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PrescribingRule:
    atc_prefix: str  # ATC code or class prefix ("A10BA02", "C09A")
    situation: str  # "egfr_below" or "pregnancy"
    threshold: float | None  # eGFR limit (mL/min/1.73 m²) for egfr_below
    action: str  # "stop" (dropped from the treatment) or "suspend" (resumed after)
    source: str


@cache
def prescribing_rules() -> tuple[PrescribingRule, ...]:
    """Contraindications and dose rules, each with its source (ANSM RCP, CRAT, HAS)."""
    rows = _records("prescribing_rules.csv", PrescribingRule, threshold=lambda t: float(t) if t else None)
    return tuple(rows)


# --- mortality -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MortalityBand:
    age_from: int
    male: float  # probability of dying within the year, per 1,000
    female: float


def _band_for_age(bands: tuple, age: int):
    """The row of an age-banded table (sorted by `age_from`) that holds `age`; the first row for
    a younger age, the last for every age above it. Called for every year of every history."""
    return bands[max(0, bisect.bisect_right(bands, age, key=attrgetter("age_from")) - 1)]


@cache
def mortality_table() -> tuple[MortalityBand, ...]:
    """INSEE's probabilities of dying within the year by sex and single year of age (see the file)."""
    return tuple(_records("mortality.csv", MortalityBand, age_from=int, male=float, female=float))


def death_probability(sex: Sex, age: int) -> float:
    """Probability that a person of this sex and age dies within the year (life table)."""
    band = _band_for_age(mortality_table(), age)
    return (band.male if sex is Sex.MALE else band.female) / 1000.0


@cache
def mortality_hazard_ratios() -> dict[str, float]:
    """Condition key ("cim10:I50.9") → all-cause hazard ratio, each with its source in the file."""
    return {row["condition"]: float(row["hazard_ratio"]) for row in _rows("mortality_hazard_ratios.csv")}


@dataclass(frozen=True, slots=True)
class MeanHazardBand:
    age_from: int
    male: float  # mean hazard ratio over the person-years lived at these ages
    female: float


@cache
def mean_hazard_table() -> tuple[MeanHazardBand, ...]:
    """The simulated population's mean hazard ratio by sex and age band (see the file)."""
    return tuple(_records("mortality_mean_hazard.csv", MeanHazardBand, age_from=int, male=float, female=float))


def mean_hazard_ratio(sex: Sex, age: int) -> float:
    """What the conditions multiply the risk by, on average, at this sex and age: the life table
    already holds the sick and the well, so a person's own risk is the table's divided by it."""
    band = _band_for_age(mean_hazard_table(), age)
    return band.male if sex is Sex.MALE else band.female


# --- epidemiology --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PrevalenceBand:
    condition: str  # "cim10:I10"
    sex: str  # "M", "F" or "all"
    age_from: int
    age_to: int | None  # excluded; None: no upper limit
    prevalence: float
    tolerance: float
    source: str

    def holds(self, sex: Sex, age: int) -> bool:
        return (self.sex in ("all", sex.value) and age >= self.age_from
                and (self.age_to is None or age < self.age_to))


@cache
def epidemiology() -> tuple[PrevalenceBand, ...]:
    """French prevalences by sex and age band the population must show, each with its source."""
    return tuple(_records("epidemiology.csv", PrevalenceBand, age_from=int, prevalence=float,
                          tolerance=float, age_to=lambda t: int(t) if t else None))
