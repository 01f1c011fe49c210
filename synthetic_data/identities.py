"""Streaming generator of French identities with the pitfalls identitovigilance must handle.

People come in small groups: one person, a twin pair or a homonym pair. Group `g` draws
everything from its own `random.Random(f"{seed}:{g}")`, so memory stays flat and a group
does not depend on the draws of the others. The only state shared across groups is the set
of order numbers already used per (sex, year, month, birthplace), which keeps every INS
matricule unique; a group rebuilt alone therefore matches except, rarely, its order number.

Pitfall flags are computed from the identity actually produced (a composite birth name is
flagged because it contains a hyphen or space, never because a draw said so), which keeps the
ground truth honest whatever the rates.

Identities are written as the RNIV and the INSi have them: strict traits normalised
(`nir.normalize_trait`), the names as written on the civil-status record kept for display; the
birthplace under the INSEE code in force at the birth date (`referentials.birthplace_in_force`);
every identity but a provisional one has a matricule in the national base, yet only those
retrieved from the INSi (RECUP, QUAL) carry it as their INS. A few people born abroad have a
birth date known by its year alone, and a matricule with a fictitious month (20–42).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cache

from synthetic_data import referentials as ref
from synthetic_data.model import Address, Identity, IdentityStatus, Patient, Pitfall, Sex
from synthetic_data.nir import (
    UNKNOWN_MONTH_CODES,
    make_matricule,
    matricule_prefix,
    normalize_trait,
)

ADULT_AGE = 20  # used names (marriage, civil union) are only drawn from this age on
PAIR_PITFALLS = (Pitfall.TWIN, Pitfall.HOMONYM)  # pitfalls that come as a pair of people
PAIRS_BY = 50  # the first 50 people hold at least one pair of each kind asked for


@dataclass(frozen=True)
class PitfallRates:
    """Fractions of people carrying each identity pitfall; defaults suit training."""

    homonym: float = 0.02
    composite_name: float = 0.08
    apostrophe_accent: float = 0.05
    used_name: float = 0.15
    twin: float = 0.01
    born_abroad: float = 0.10
    provisional: float = 0.03
    multiple_given_names: float = 0.30
    year_only_birth_date: float = 0.005  # drawn among people born abroad, single births only

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"taux « {name} » hors de [0, 1] : {value}")
        if self.twin + self.homonym >= 1.0:
            raise ValueError("les taux « twin » + « homonym » doivent rester sous 1")


@dataclass(slots=True)
class _Plan:
    """Per-draw probabilities derived once from the rates and the age pyramid."""

    rates: PitfallRates
    reference_date: date
    years: int  # length of the history window ending at `reference_date`
    twin_group: float = 0.0
    homonym_group: float = 0.0
    used_name_female: float = 0.0
    used_name_male: float = 0.0

    def __post_init__(self) -> None:
        # A pair holds two people: per-group probabilities q solve 2q = rate × (1 + q_t + q_h).
        size = 1.0 / (1.0 - (self.rates.twin + self.rates.homonym) / 2.0)
        self.twin_group = self.rates.twin * size / 2.0
        self.homonym_group = self.rates.homonym * size / 2.0
        female, male = _adult_shares()
        # Most used names are women taking a spouse's name; keep the overall rate as asked.
        weight_f, weight_m = 1.7, 0.3
        scale = self.rates.used_name / (female * weight_f + male * weight_m)
        self.used_name_female = min(1.0, scale * weight_f)
        self.used_name_male = min(1.0, scale * weight_m)


@cache
def _adult_shares() -> tuple[float, float]:
    """Shares of the whole population that are adult women and adult men (age pyramid)."""
    pairs = ref.age_pyramid().weighted_items()
    total = sum(w for _, w in pairs)
    female = sum(w for band, w in pairs if band.age_from >= ADULT_AGE and band.sex is Sex.FEMALE)
    male = sum(w for band, w in pairs if band.age_from >= ADULT_AGE and band.sex is Sex.MALE)
    return female / total, male / total


@dataclass(slots=True)
class _Draft:
    """A person before ids and order numbers are assigned."""

    identity: Identity
    order: int  # wished order number, made unique later
    address: Address
    phone: str
    pitfalls: set[Pitfall] = field(default_factory=set)
    partner: int | None = None  # index of the twin / homonym partner within the group


class _OrderNumbers:
    """Order numbers already taken per matricule prefix (sex, year, month, birthplace)."""

    __slots__ = ("_taken",)

    def __init__(self) -> None:
        self._taken: dict[str, set[int]] = {}

    def claim(self, prefix: str, wished: int) -> int:
        taken = self._taken.setdefault(prefix, set())
        order = wished
        while order in taken:
            order = order % 999 + 1
            if order == wished:
                raise RuntimeError(f"plus de numéro d'ordre libre pour {prefix}")
        taken.add(order)
        return order


# --- drawing one person ----------------------------------------------------------------------


def _birth(rng: random.Random, plan: _Plan) -> tuple[Sex, date]:
    """Sex and birth date of someone alive at some time in the history window."""
    band = ref.window_population(plan.years).pick(rng)
    return band.sex, band.birth_date(rng, plan.reference_date)


def _birthplace(rng: random.Random, abroad: bool, avoid: str = "") -> str:
    while True:
        code = ref.weighted_country(rng).insee if abroad else ref.weighted_commune(rng).insee
        if code != avoid:
            return code


def _wished_order(rng: random.Random, birthplace: str) -> int:
    """Order numbers run higher where more births are registered each month."""
    place = ref.communes().get(ref.current_birthplace(birthplace))
    births = place.population // 2000 if place is not None else 999
    return rng.randint(1, max(3, min(999, births + 3)))


def _birth_name(rng: random.Random, composite: bool, marked: bool) -> str:
    if composite and marked:
        name = f"{ref.surnames('marked').pick(rng)}-{ref.surnames('plain').pick(rng)}"
    elif composite and rng.random() < 0.4:
        name = ref.surnames("composite").pick(rng)
    elif composite:
        first = ref.surnames("plain").pick(rng)
        second = _distinct(rng, ref.surnames("plain"), {first})
        name = f"{first}-{second}"
    else:
        name = ref.surnames("marked" if marked else "plain").pick(rng)
    return name.upper()


def _distinct(rng: random.Random, table: ref.WeightedTable[str], avoid: set[str]) -> str:
    for _ in range(50):
        value = table.pick(rng)
        if value not in avoid:
            return value
    remaining = [v for v in table.items if v not in avoid]
    return rng.choice(remaining)


def _shape(composite: bool, marked: bool) -> str:
    return "composite+marked" if composite and marked else "composite" if composite else "marked" if marked else "plain"


def _given_names(
    rng: random.Random, sex: Sex, year: int, first_shape: str, count: int, avoid_first: str = ""
) -> list[str]:
    pool = ref.given_names(sex, year, first_shape)
    if set(pool.items) <= {avoid_first}:
        pool = ref.given_names(sex, year, "plain")
    first = _distinct(rng, pool, {avoid_first})
    names = [first]
    plain = ref.given_names(sex, year, "plain")
    for _ in range(count - 1):
        pool = plain if len(plain) > len(names) + 1 else ref.given_names(sex, None, "plain")
        names.append(_distinct(rng, pool, set(names)))
    return names


def _given_count(rng: random.Random, plan: _Plan, force_multiple: bool = False) -> int:
    if not force_multiple and rng.random() >= plan.rates.multiple_given_names:
        return 1
    return rng.choices((2, 3, 4), weights=(70, 25, 5))[0]


def _names(rng: random.Random, plan: _Plan, sex: Sex, year: int, force_multiple: bool = False) -> tuple[str, list[str]]:
    """Birth name and given names, placing composite/marked pitfalls on either of them."""
    composite = rng.random() < plan.rates.composite_name
    marked = rng.random() < plan.rates.apostrophe_accent
    given_composite = composite and rng.random() < 0.4 and ref.has_given_names(sex, year, "composite")
    given_marked = marked and rng.random() < 0.5
    if given_composite or given_marked:
        wanted = _shape(given_composite, given_marked)
        if not ref.has_given_names(sex, year, wanted):
            given_composite = given_marked = False
    first_shape = _shape(given_composite, given_marked)
    birth_name = _birth_name(rng, composite and not given_composite, marked and not given_marked)
    return birth_name, _given_names(rng, sex, year, first_shape, _given_count(rng, plan, force_multiple))


def _used_names(
    rng: random.Random, plan: _Plan, sex: Sex, birth_date: date, birth_name: str, given: list[str]
) -> tuple[str | None, str | None]:
    used_given = given[1] if len(given) > 1 and rng.random() < 0.05 else None
    age = plan.reference_date.year - birth_date.year
    chance = plan.used_name_female if sex is Sex.FEMALE else plan.used_name_male
    if age < ADULT_AGE or rng.random() >= chance:
        return None, used_given
    spouse = _distinct(rng, ref.surnames("plain"), {birth_name.title()}).upper()
    used = f"{birth_name}-{spouse}" if rng.random() < 0.25 else spouse
    return used, used_given


def _address(rng: random.Random, birthplace: str) -> tuple[Address, str]:
    """Address in a real commune with one of its real postal codes, and the commune's region."""
    birthplace = ref.current_birthplace(birthplace)
    if birthplace in ref.communes() and rng.random() < 0.3:
        place = ref.communes()[birthplace]
    else:
        place = ref.weighted_commune(rng)
    number = rng.randint(1, 60) if rng.random() < 0.8 else rng.randint(61, 250)
    line = f"{number} {ref.streets('type').pick(rng)} {ref.streets('name').pick(rng)}"
    return Address(line, rng.choice(place.postal_codes), place.city, place.insee), place.region


def _status(rng: random.Random, plan: _Plan, allow_provisional: bool = True) -> IdentityStatus:
    if allow_provisional and rng.random() < plan.rates.provisional:
        return IdentityStatus.PROV
    return IdentityStatus(ref.identity_statuses().pick(rng))


def _draft(
    rng: random.Random,
    plan: _Plan,
    identity_core: tuple[str, list[str], Sex, date, str] | None = None,
    allow_provisional: bool = True,
) -> _Draft:
    """One person; `identity_core` (birth name, given names, sex, birth date, birthplace) when
    the strict traits are imposed by a twin or homonym partner."""
    if identity_core is None:
        sex, birth_date = _birth(rng, plan)
        birthplace = _birthplace(rng, rng.random() < plan.rates.born_abroad)
        birth_name, given = _names(rng, plan, sex, birth_date.year)
    else:
        birth_name, given, sex, birth_date, birthplace = identity_core
    used_name, used_given = _used_names(rng, plan, sex, birth_date, birth_name, given)
    identity = Identity(
        birth_name=normalize_trait(birth_name),
        given_names=[normalize_trait(name) for name in given],
        sex=sex,
        birth_date=birth_date,
        birthplace=ref.birthplace_in_force(birthplace, birth_date),
        used_name=used_name,
        used_given_name=used_given,
        status=_status(rng, plan, allow_provisional),
        written_birth_name=birth_name,
        written_given_names=list(given),
    )
    address, region = _address(rng, birthplace)
    return _Draft(identity, _wished_order(rng, birthplace), address, ref.fictional_phone(rng, region))


# --- groups ----------------------------------------------------------------------------------


def _twins(rng: random.Random, plan: _Plan) -> list[_Draft]:
    """Twins: same birth name, date and place; their own sex and given names."""
    first = _draft(rng, plan)
    one = first.identity
    sex = Sex.FEMALE if rng.random() < 0.5 else Sex.MALE
    year = one.birth_date.year
    written_first = one.display_given_names[0]
    shape = ref.name_shape(written_first) if ref.has_given_names(sex, year, ref.name_shape(written_first)) else "plain"
    given = _given_names(rng, sex, year, shape, _given_count(rng, plan), avoid_first=written_first)
    second = _draft(rng, plan, (one.display_birth_name, given, sex, one.birth_date, one.birthplace))
    return _pair(first, second, Pitfall.TWIN)


def _homonyms(rng: random.Random, plan: _Plan) -> list[_Draft]:
    """Two people sharing every strict trait but one: the birthplace, or the given names after
    the first (INSi then answers "several identities" to a search on the first given name)."""
    by_given_names = rng.random() < 0.5
    sex, birth_date = _birth(rng, plan)
    abroad = rng.random() < plan.rates.born_abroad
    birthplace = _birthplace(rng, abroad)
    birth_name, given = _names(rng, plan, sex, birth_date.year, force_multiple=by_given_names)
    # Both are known to INSi (never provisional), so a traits search really finds two people.
    first = _draft(rng, plan, (birth_name, given, sex, birth_date, birthplace), allow_provisional=False)
    if by_given_names:
        others = _given_names(rng, sex, birth_date.year, "plain", len(given), avoid_first=given[0])
        while others[1:] == given[1:] or given[0] in others[1:]:
            others = _given_names(rng, sex, birth_date.year, "plain", len(given), avoid_first=given[0])
        core = (birth_name, [given[0], *others[1:]], sex, birth_date, birthplace)
    else:
        core = (birth_name, list(given), sex, birth_date, _birthplace(rng, abroad, avoid=birthplace))
    return _pair(first, _draft(rng, plan, core, allow_provisional=False), Pitfall.HOMONYM)


def _pair(first: _Draft, second: _Draft, pitfall: Pitfall) -> list[_Draft]:
    first.pitfalls.add(pitfall)
    second.pitfalls.add(pitfall)
    first.partner, second.partner = 1, 0
    return [first, second]


def _group(rng: random.Random, plan: _Plan, room: int, force: Pitfall | None = None) -> list[_Draft]:
    """A single person, a twin pair or a homonym pair (pairs only when two places remain);
    `force` asks for that pair whatever the draw."""
    if force is not None:
        return {Pitfall.TWIN: _twins, Pitfall.HOMONYM: _homonyms}[force](rng, plan)
    draw = rng.random()
    if room >= 2 and draw < plan.twin_group:
        return _twins(rng, plan)
    if room >= 2 and draw < plan.twin_group + plan.homonym_group:
        return _homonyms(rng, plan)
    return [_draft(rng, plan)]


def _missing_pair(plan: _Plan, index: int, room: int, seen: set[Pitfall]) -> Pitfall | None:
    """The pair to force now so that the first PAIRS_BY people hold a pair of each kind asked
    for (exercises and graders need one even in a small population). Whether to force depends
    on the people drawn so far, never on the population's size: a shorter run stays a prefix
    of a longer one."""
    rates = {Pitfall.TWIN: plan.rates.twin, Pitfall.HOMONYM: plan.rates.homonym}
    missing = [pitfall for pitfall in PAIR_PITFALLS if rates[pitfall] > 0 and pitfall not in seen]
    # Groups take one or two places: forcing from PAIRS_BY - 2k on fits k pairs in time.
    if missing and room >= 2 and index + 2 * len(missing) >= PAIRS_BY:
        return missing[0]
    return None


def identity_pitfalls(identity: Identity) -> set[Pitfall]:
    """Pitfalls readable from the identity itself (twins and homonyms need the population)."""
    found: set[Pitfall] = set()
    written = identity.display_birth_name
    shapes = {ref.name_shape(written), *(ref.name_shape(n) for n in identity.display_given_names)}
    if any("marked" in shape for shape in shapes):
        found.add(Pitfall.APOSTROPHE_ACCENT)
    if "composite" in ref.name_shape(written) or "-" in identity.given_names[0]:
        found.add(Pitfall.COMPOSITE_NAME)
    if identity.used_name and normalize_trait(identity.used_name) != identity.birth_name:
        found.add(Pitfall.USED_NAME)
    if identity.birthplace.startswith("99"):
        found.add(Pitfall.BORN_ABROAD)
    if identity.status is IdentityStatus.PROV:
        found.add(Pitfall.PROVISIONAL)
    if len(identity.given_names) > 1:
        found.add(Pitfall.MULTIPLE_GIVEN_NAMES)
    if identity.birth_year_only:
        found.add(Pitfall.YEAR_ONLY_BIRTH_DATE)
    return found


def _year_only(draft: _Draft, rng: random.Random, plan: _Plan) -> int | None:
    """For a few single people born abroad, a birth date known by its year alone (their record
    says 1 January); returns the fictitious month code their matricule then carries."""
    identity = draft.identity
    share = plan.rates.year_only_birth_date / plan.rates.born_abroad if plan.rates.born_abroad else 0.0
    if draft.partner is not None or not identity.birthplace.startswith("99") or rng.random() >= share:
        return None
    identity.birth_date = identity.birth_date.replace(month=1, day=1)
    identity.birth_year_only = True
    return rng.randint(*UNKNOWN_MONTH_CODES)


def _vitale_serials(seed: int) -> tuple[int, int]:
    """Multiplier and offset of a bijection on 10-digit numbers: unique serials by index."""
    rng = random.Random(f"{seed}:vitale")
    multiplier = rng.randrange(10**9, 10**10) | 1
    while multiplier % 5 == 0:
        multiplier += 2
    return multiplier, rng.randrange(10**10)


def people(
    seed: int,
    n: int,
    rates: PitfallRates = PitfallRates(),
    reference_date: date = date(2026, 1, 1),
    years: int = 10,
) -> Iterator[Patient]:
    """Exactly `n` patients "pat-000001"…, streamed group by group, all fixed by `seed`: the
    people alive at some time in the `years` before `reference_date` (`ref.window_population`)."""
    if n < 0:
        raise ValueError(f"nombre de personnes négatif : {n}")
    plan = _Plan(rates, reference_date, years)
    orders = _OrderNumbers()
    multiplier, offset = _vitale_serials(seed)
    index = group = 0
    pairs: set[Pitfall] = set()
    while index < n:
        room = n - index
        force = _missing_pair(plan, index, room, pairs)
        drafts = _group(random.Random(f"{seed}:{group}"), plan, room, force)
        if len(drafts) == 2:
            pairs |= drafts[0].pitfalls & set(PAIR_PITFALLS)
        ids = [f"pat-{index + k + 1:06d}" for k in range(len(drafts))]
        for k, draft in enumerate(drafts):
            identity = draft.identity
            # Own stream: the draws above stay those of the population before this feature.
            month_code = _year_only(draft, random.Random(f"{seed}:{group}:{k}:civil"), plan)
            if identity.status is not IdentityStatus.PROV:
                traits = (identity.sex, identity.birth_date, identity.birthplace)
                wished = make_matricule(*traits, draft.order, month_code)
                order = orders.claim(matricule_prefix(wished), draft.order)
                identity.matricule = make_matricule(*traits, order, month_code)
            yield Patient(
                id=ids[k],
                identity=identity,
                address=draft.address,
                phone=draft.phone,
                vitale=f"{(multiplier * (index + k) + offset) % 10**10:010d}",
                gp_id=None,
                pitfalls=identity_pitfalls(identity) | draft.pitfalls,
                related_to=[ids[draft.partner]] if draft.partner is not None else [],
            )
        index += len(drafts)
        group += 1
