"""The population's domain objects, independent of any export format.

Generators fill these plain dataclasses; exporters (FHIR R4, CSV, ground truth) and the sandbox
seeder read them. Keeping them format-free is what lets one population feed every consumer,
and keeping them small (slots, no pydantic) is what keeps 10k patients fast.

Identifiers (`id`) are deterministic for a seed: they are derived from the seed and the
object's position, never from `uuid4()` or the clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


class Sex(StrEnum):
    FEMALE = "F"
    MALE = "M"


class IdentityStatus(StrEnum):
    """RNIV identity statuses. Only QUAL may carry and share the INS."""

    PROV = "PROV"  # provisoire: not from INSi, not checked against an ID document
    RECUP = "RECUP"  # récupérée: from INSi, not checked against an ID document
    VALI = "VALI"  # validée: checked against an ID document, not from INSi
    QUAL = "QUAL"  # qualifiée: from INSi and checked


class Pitfall(StrEnum):
    """Identity pitfalls built into the population, flagged in the ground truth."""

    HOMONYM = "homonyme"  # same strict traits as another person but one
    COMPOSITE_NAME = "nom_compose"  # composite or hyphenated birth name
    APOSTROPHE_ACCENT = "apostrophe_accent"  # apostrophes, accents, diaereses in names
    USED_NAME = "nom_usage_different"  # used name differs from birth name
    TWIN = "jumeau"  # twin: same birth name, date and place, other given names
    BORN_ABROAD = "ne_a_l_etranger"  # birthplace code 99xxx
    PROVISIONAL = "identite_provisoire"  # no INS, status PROV
    MULTIPLE_GIVEN_NAMES = "prenoms_multiples"  # several birth given names
    YEAR_ONLY_BIRTH_DATE = "date_naissance_incomplete"  # day and month of birth unknown


@dataclass(slots=True)
class Address:
    line: str  # "12 rue des Lilas"
    postal_code: str  # "69003"
    city: str  # "Lyon"
    insee: str  # INSEE code of the commune of residence ("69383")


# Statuses whose identity was retrieved from the INSi and so carries the INS (RNIV).
FROM_INSI = frozenset({IdentityStatus.RECUP, IdentityStatus.QUAL})


@dataclass(slots=True)
class Identity:
    """Strict identity traits (traits INS) and complementary traits.

    The strict traits are written as the INSi returns them and the RNIV stores them (upper case,
    no diacritics: `nir.normalize_trait`); the names as written on the civil-status record, with
    their accents and case, are kept apart for display (`written_*`), as are the used names.
    """

    birth_name: str  # nom de naissance, INS form ("LEFEVRE")
    given_names: list[str]  # prénoms de naissance, INS form, in order; [0] is the first
    sex: Sex
    birth_date: date  # 1 January of the year when only the year is known (`birth_year_only`)
    birthplace: str  # INSEE code in force at the birth date, or 99xxx country code if born abroad
    used_name: str | None = None  # nom utilisé (complementary trait)
    used_given_name: str | None = None  # prénom utilisé (complementary trait)
    status: IdentityStatus = IdentityStatus.PROV
    matricule: str | None = None  # 15-char NIR in the national base; None if unknown to INSi
    written_birth_name: str = ""  # as on the civil-status record ("LEFÈVRE"); "" = birth_name
    written_given_names: list[str] = field(default_factory=list)  # ("Céline"); [] = given_names
    birth_year_only: bool = False  # day and month unknown (matricule with a fictitious month)

    @property
    def first_given_name(self) -> str:
        return self.given_names[0]

    @property
    def ins(self) -> str | None:
        """The INS the local record carries: only an identity retrieved from the INSi (RECUP,
        QUAL) has it; a PROV or VALI identity has none, whatever the national base holds."""
        return self.matricule if self.status in FROM_INSI else None

    @property
    def display_birth_name(self) -> str:
        return self.written_birth_name or self.birth_name

    @property
    def display_given_names(self) -> list[str]:
        return self.written_given_names or self.given_names

    @property
    def ins_birth_date(self) -> str:
        """The birth date as the INSi writes it, unknown parts as 00 ("1950-00-00")."""
        if self.birth_year_only:
            return f"{self.birth_date.year:04d}-00-00"
        return self.birth_date.isoformat()


@dataclass(slots=True)
class Organization:
    id: str
    finess: str  # FINESS of the site (FINEG), 9 characters
    finess_legal: str  # FINESS of the legal entity (FINEJ)
    name: str
    kind: str  # key into the establishment-type referential ("CH", "CABINET", "PHARMACIE"…)
    address: Address
    mssante: str  # organisational mailbox (ORG), e.g. "accueil@ch-exemple.mssante.fr"
    phone: str = ""


@dataclass(slots=True)
class Practitioner:
    id: str
    rpps: str  # 11 digits
    birth_name: str
    given_name: str
    sex: Sex
    profession: str  # TRE_G15 profession code ("10" médecin, "60" infirmier…)
    specialty: str | None  # TRE_R38 specialty code for physicians ("SM54" médecine générale…)
    organization_id: str
    mssante: str  # personal mailbox (PER), e.g. "jean.dupont@medecin.bac-a-sable.mssante.fr"
    phone: str = ""

    @property
    def id_nat_ps(self) -> str:
        """National PS identifier: prefix 8 followed by the RPPS."""
        return "8" + self.rpps


@dataclass(slots=True)
class Coding:
    system: str  # a key of terminology.SYSTEMS ("loinc", "cim10", "snomed", "atc", "ucum"…)
    code: str
    display: str


@dataclass(slots=True)
class Encounter:
    id: str
    kind: str  # "AMB" consultation, "IMP" hospital stay, "HH" home, "VR" teleconsultation
    start: datetime
    end: datetime
    reason: Coding | None
    practitioner_id: str
    organization_id: str
    pathway: str  # name of the pathway that produced it


@dataclass(slots=True)
class Condition:
    id: str
    codes: list[Coding]  # CIM-10 first, SNOMED CT when apt
    onset: date
    encounter_id: str | None
    resolved: date | None = None


@dataclass(slots=True)
class Observation:
    id: str
    code: Coding  # LOINC
    category: str  # "vital-signs", "laboratory", "survey"
    effective: datetime
    encounter_id: str | None
    value: float | None = None
    unit: str | None = None  # UCUM code
    components: list[tuple[Coding, float, str]] = field(default_factory=list)
    interpretation: str | None = None  # "H", "L", "N" (HL7 v3 ObservationInterpretation)


@dataclass(slots=True)
class MedicationRequest:
    id: str
    medication: Coding  # ATC code with the French drug name as display
    drug_name: str  # French commercial/common name with strength ("METFORMINE 1000 mg cp")
    dosage: str  # French posology text
    authored: datetime
    requester_id: str
    encounter_id: str | None
    duration_days: int = 30


@dataclass(slots=True)
class Immunization:
    id: str
    vaccine: Coding
    date: date
    performer_id: str
    encounter_id: str | None


@dataclass(slots=True)
class ClinicalDocument:
    id: str
    type: Coding  # LOINC document type (11488-4, 11490-0, 11502-2, 57833-6…)
    class_code: str  # J57 class code ("10" compte rendu, "42" prescription…)
    title: str
    text: str  # readable French body
    date: datetime
    author_id: str
    encounter_id: str | None
    confidentiality: str = "N"  # J58: N, R, V


@dataclass(slots=True)
class Patient:
    id: str
    identity: Identity
    address: Address
    phone: str
    vitale: str  # mock Vitale card serial, unique in the population
    gp_id: str | None  # médecin traitant (Practitioner.id)
    pitfalls: set[Pitfall] = field(default_factory=set)
    related_to: list[str] = field(default_factory=list)  # ids of twin / homonym partners
    deceased: date | None = None
    encounters: list[Encounter] = field(default_factory=list)
    conditions: list[Condition] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    medications: list[MedicationRequest] = field(default_factory=list)
    immunizations: list[Immunization] = field(default_factory=list)
    documents: list[ClinicalDocument] = field(default_factory=list)
    pathways: list[str] = field(default_factory=list)  # pathways this patient entered
