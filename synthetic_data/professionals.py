"""Synthetic directory of health professionals and establishments (Annuaire Santé, MSSanté).

Sized from the population (one GP per ~900 inhabitants, etc., see `referentials_data/*.csv`) and
fixed by the seed: every organisation and practitioner is drawn from its own
`random.Random(f"{seed}:directory:<kind>:<index>")`. Identifiers follow the real formats:
RPPS 11 digits with a Luhn check digit (checked on real RPPS numbers from public Annuaire
Santé / ROR extracts), FINESS 9 characters, département first, Luhn check digit last
(checked on real FINESS numbers such as 010003820 and 750712184).
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass, field
from typing import NamedTuple

from synthetic_data import referentials as ref
from synthetic_data.model import Address, Organization, Practitioner, Sex

MAILBOX_TYPES = ("PER", "ORG", "APP", "CAB")


# --- identifiers ---------------------------------------------------------------------------


def luhn_digit(digits: str) -> str:
    """Luhn check digit to append to `digits` (letters of Corsican départements count as 0)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) if char.isdigit() else 0
        if position % 2 == 0:
            value *= 2
            value -= 9 if value > 9 else 0
        total += value
    return str(-total % 10)


def is_valid_rpps(value: str) -> bool:
    return len(value) == 11 and value.isdigit() and value[0] == "1" and luhn_digit(value[:10]) == value[10]


def is_valid_finess(value: str) -> bool:
    return (
        len(value) == 9
        and re.fullmatch(r"(\d{2}|2A|2B)\d{7}", value) is not None
        and luhn_digit(value[:8]) == value[8]
    )


def _finess(rng: random.Random, departement: str, taken: set[str]) -> str:
    """Département (2 characters; overseas 97x keeps its 3rd digit) + digits + Luhn digit."""
    while True:
        body = (departement + "".join(str(rng.randrange(10)) for _ in range(8)))[:8]
        value = body + luhn_digit(body)
        if value not in taken:
            taken.add(value)
            return value


def _rpps(rng: random.Random, taken: set[str]) -> str:
    while True:
        body = "10" + f"{rng.randrange(10**8):08d}"
        value = body + luhn_digit(body)
        if value not in taken:
            taken.add(value)
            return value


def slug(text: str) -> str:
    """Lower-case ASCII for mail addresses: accents dropped, apostrophes removed, other
    separators turned into single hyphens ("N'Diaye" → "ndiaye", "Le Gall" → "le-gall")."""
    folded = unicodedata.normalize("NFKD", text.replace("’", "'"))
    folded = "".join(ch for ch in folded if ch.isascii() and not unicodedata.combining(ch))
    folded = folded.lower().replace("'", "")
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")


# --- the directory -------------------------------------------------------------------------


class Mailbox(NamedTuple):
    address: str
    type: str  # PER, ORG, APP or CAB
    owner_id: str  # Practitioner.id or Organization.id


@dataclass(slots=True)
class Directory:
    organizations: list[Organization]
    practitioners: list[Practitioner]
    mailboxes: list[Mailbox]
    _ids: dict[str, Organization | Practitioner] = field(default_factory=dict, repr=False)
    # (profession, specialty or None, place key) -> practitioners; place key "" (anywhere),
    # "d:<département>" or "r:<region>": built once so pick() stays O(1).
    _index: dict[tuple[str, str | None, str], list[Practitioner]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._ids = {o.id: o for o in self.organizations} | {p.id: p for p in self.practitioners}
        places = ref.communes()
        for practitioner in self.practitioners:
            organization = self._ids[practitioner.organization_id]
            assert isinstance(organization, Organization)
            place = places[organization.address.insee]
            for specialty in {practitioner.specialty, None}:
                for where in ("", f"d:{place.departement}", f"r:{place.region}"):
                    self._index.setdefault((practitioner.profession, specialty, where), []).append(practitioner)

    def by_id(self, identifier: str) -> Organization | Practitioner:
        try:
            return self._ids[identifier]
        except KeyError:
            raise KeyError(f"aucun professionnel ni établissement d'identifiant {identifier!r}") from None

    def pick(
        self,
        rng: random.Random,
        profession: str,
        specialty: str | None = None,
        near_insee: str | None = None,
    ) -> Practitioner:
        """A practitioner of that profession (and specialty), preferring the département of
        `near_insee`, then its region, then anywhere."""
        place = ref.communes().get(near_insee) if near_insee else None
        tiers = [f"d:{place.departement}", f"r:{place.region}", ""] if place else [""]
        for where in tiers:
            candidates = self._index.get((profession, specialty, where))
            if candidates:
                return rng.choice(candidates)
        raise KeyError(f"aucun professionnel pour la profession {profession!r}, spécialité {specialty!r}")


def _count(n_patients: int, per_inhabitants: int, minimum: int) -> int:
    return max(minimum, round(n_patients / per_inhabitants)) if per_inhabitants else minimum


def _address(rng: random.Random, place: ref.Commune) -> Address:
    number = rng.randint(1, 120)
    line = f"{number} {ref.streets('type').pick(rng)} {ref.streets('name').pick(rng)}"
    return Address(line, rng.choice(place.postal_codes), place.city, place.insee)


class _Builder:
    """Holds what must stay unique across the directory while it is drawn."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.finess: set[str] = set()
        self.rpps: set[str] = set()
        self.addresses: set[str] = set()
        self.domains: set[str] = set()
        self.names: set[str] = set()
        self.mailboxes: list[Mailbox] = []

    def rng(self, *parts: object) -> random.Random:
        return random.Random(":".join(map(str, (self.seed, "directory", *parts))))

    def unique_address(self, local: str, domain: str) -> str:
        address, number = f"{local}@{domain}", 1
        while address in self.addresses:
            number += 1
            address = f"{local}{number}@{domain}"
        self.addresses.add(address)
        return address

    def unique_name(self, name: str, city: str) -> str:
        """The name, else the name and its city, else numbered: establishments never share one."""
        candidate, number = name, 1
        if candidate in self.names and city not in candidate:
            candidate = f"{name} ({city})"
        while candidate in self.names:
            number += 1
            candidate = f"{name} ({city}, {number})"
        self.names.add(candidate)
        return candidate

    def organization(self, kind: ref.EstablishmentType, index: int, number: int) -> Organization:
        rng = self.rng("org", kind.kind, index)
        for _ in range(20):
            place = ref.weighted_commune(rng, kind.min_population)
            nom = ref.streets("name").pick(rng)
            name = kind.name_pattern.format(ville=place.city, nom=nom)
            if name not in self.names:
                break
        name = self.unique_name(name, place.city)
        domain = f"{kind.domain_prefix}-{slug(place.city)}.mssante.fr"
        if domain in self.domains:
            domain = f"{kind.domain_prefix}-{slug(nom)}-{slug(place.city)}.mssante.fr"
        suffix = 1
        while domain in self.domains:
            suffix += 1
            domain = f"{kind.domain_prefix}-{slug(place.city)}-{suffix}.mssante.fr"
        self.domains.add(domain)
        org_id = f"org-{number:04d}"
        boxes = list(kind.mailboxes)
        if kind.kind in ("CHU", "CH", "CLINIQUE"):
            services = {ref.specialties()[h.split("/")[1]].service for h in kind.hosts if "/" in h}
            boxes += [(service, "ORG") for service in sorted(services) if service]
        addresses = []
        for local, box_type in boxes:
            address = self.unique_address(local, domain)
            self.mailboxes.append(Mailbox(address, box_type, org_id))
            addresses.append(address)
        return Organization(
            id=org_id,
            finess=_finess(rng, place.departement, self.finess),
            finess_legal=_finess(rng, place.departement, self.finess),
            name=name,
            kind=kind.kind,
            address=_address(rng, place),
            mssante=addresses[0],
            phone=ref.fictional_phone(rng, place.region, landline_share=1.0),
        )

    def practitioner(
        self, role: str, index: int, number: int, organization: Organization
    ) -> Practitioner:
        profession_code, _, specialty = role.partition("/")
        profession = ref.professions()[profession_code]
        rng = self.rng("pra", role, index)
        sex = Sex.FEMALE if rng.random() < profession.female_share else Sex.MALE
        birth_year = rng.randint(1960, 1998)
        given = ref.given_names(sex, birth_year).pick(rng)
        family = ref.surnames().pick(rng)
        practitioner_id = f"pra-{number:04d}"
        address = self.unique_address(f"{slug(given)}.{slug(family)}", profession.mssante_domain)
        self.mailboxes.append(Mailbox(address, "PER", practitioner_id))
        place = ref.communes()[organization.address.insee]
        return Practitioner(
            id=practitioner_id,
            rpps=_rpps(rng, self.rpps),
            birth_name=family.upper(),
            given_name=given,
            sex=sex,
            profession=profession_code,
            specialty=specialty or None,
            organization_id=organization.id,
            mssante=address,
            phone=ref.fictional_phone(rng, place.region, landline_share=0.5),
        )


def _roles(n_patients: int) -> list[tuple[str, int]]:
    """(role, head count): physicians by specialty, then the other professions."""
    roles = [(f"10/{s.code}", _count(n_patients, s.per_inhabitants, s.minimum)) for s in ref.specialties().values()]
    roles += [
        (p.code, _count(n_patients, p.per_inhabitants, p.minimum))
        for p in ref.professions().values()
        if p.per_inhabitants
    ]
    return roles


def directory(seed: int, n_patients: int) -> Directory:
    """Establishments and practitioners for a population of `n_patients`, fixed by `seed`."""
    if n_patients < 0:
        raise ValueError(f"taille de population négative : {n_patients}")
    builder = _Builder(seed)
    organizations: list[Organization] = []
    for kind in ref.establishment_types().values():
        for index in range(_count(n_patients, kind.per_inhabitants, kind.minimum)):
            organizations.append(builder.organization(kind, index, len(organizations) + 1))
    kinds = ref.establishment_types()
    practitioners: list[Practitioner] = []
    for role, head_count in _roles(n_patients):
        hosts = [o for o in organizations if role in kinds[o.kind].hosts]
        if not hosts:
            raise ValueError(f"aucun type d'établissement n'accueille le rôle {role!r}")
        # Shuffled round robin: every host gets someone before any gets a second one.
        builder.rng("hosts", role).shuffle(hosts)
        for index in range(head_count):
            organization = hosts[index % len(hosts)]
            practitioners.append(builder.practitioner(role, index, len(practitioners) + 1, organization))
    return Directory(organizations, practitioners, builder.mailboxes)
