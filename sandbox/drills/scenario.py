"""Drill scenarios as data: the YAML schema (pydantic models) and a loader whose errors name
the file, the line and the field in French.

A scenario is a chronogram of injects at relative times and expectations with points and a
deadline; items may be limited to some levels (`niveaux`) and a deadline may differ per level.
An inject with `si` is conditional: it is scheduled `a` after an expectation is met or missed.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from sandbox.errors import describe_validation_error
from synthetic_data.errors import SantelabError

LEVELS = ("débutant", "intermédiaire", "confirmé")
TEAMS = ("cellule_de_crise", "unite_de_soins", "dsi", "communication")
SERVICES = ("dpi", "dmp", "insi", "eprescription", "mssante", "annuaire")
_DURATION = re.compile(r"^\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*min)?\s*(?:(\d+)\s*s)?\s*$")


class ScenarioError(SantelabError):
    """A scenario file that cannot be played: one French line naming file, line and field."""


def parse_duration(value: Any) -> float:
    """"1h30min", "10min", "90s" or a number of seconds → seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    match = _DURATION.match(str(value)) if isinstance(value, str) else None
    if not match or not any(match.groups()):
        raise ValueError(f"durée attendue comme « 10min », « 1h30min » ou « 90s », reçu « {value} »")
    hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return float(hours * 3600 + minutes * 60 + seconds)


Duration = Annotated[float, BeforeValidator(parse_duration)]
Level = Literal["débutant", "intermédiaire", "confirmé"]
Team = Literal["cellule_de_crise", "unite_de_soins", "dsi", "communication"]
Key = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Condition(Strict):
    attente: Key
    etat: Literal["atteinte", "manquée"]


class Inject(Strict):
    """One stimulus: `a` after the start (or after its condition is resolved)."""

    cle: Key
    a: Duration = 0.0
    alea: Duration = 0.0  # seeded jitter added to `a`: a seed fixes the timeline
    type: Literal["mail", "panne", "retablissement", "message", "chiffrement", "restauration"]
    niveaux: tuple[Level, ...] = LEVELS
    equipes: tuple[Team, ...] = ()
    si: Condition | None = None
    # mail
    modele: str | None = None
    destinataires: tuple[str, ...] = ()
    # panne / retablissement
    service: Literal["dpi", "dmp", "insi", "eprescription", "mssante", "annuaire"] | None = None
    mode: Literal["indisponible", "lent", "erreur"] = "indisponible"
    delai_ms: int = Field(0, ge=0, le=60_000)
    # message shown to players (telephone, sms, presse)
    canal: Literal["telephone", "sms", "presse"] | None = None
    de: str = ""
    texte: str = ""

    @model_validator(mode="after")
    def _fields_of_its_type(self) -> Inject:
        needed = {"mail": ("modele", "destinataires"), "panne": ("service",),
                  "retablissement": ("service",), "message": ("canal", "texte")}
        missing = [name for name in needed.get(self.type, ()) if not getattr(self, name)]
        if missing:
            raise ValueError(f"un inject « {self.type} » demande : {', '.join(missing)}")
        return self


class EventPattern(Strict):
    """What an expectation waits for: an event of this action whose detail holds these values."""

    action: str = Field(min_length=3, max_length=64)
    detail: dict[str, str] = {}


class Expectation(Strict):
    cle: Key
    titre: str = Field(min_length=3)
    points: int = Field(ge=0, le=1000)
    equipe: Team
    apres: Key | None = None  # the inject that opens the window (default: the start)
    delai: Duration | dict[Level, Duration]
    evenement: EventPattern | None = None  # None: validated by an observer
    niveaux: tuple[Level, ...] = LEVELS

    def deadline(self, level: str) -> float:
        if isinstance(self.delai, dict):
            return self.delai.get(level, max(self.delai.values()))
        return self.delai


class Milestones(Strict):
    """What the RETEX times: from the incident (an inject sent) to its detection, containment
    and recovery, each the meeting of an expectation."""

    incident: Key
    detection: Key | None = None
    confinement: Key | None = None
    retablissement: Key | None = None


class Scenario(Strict):
    id: Key
    titre: str = Field(min_length=3)
    description: str = ""
    niveaux: tuple[Level, ...] = LEVELS
    equipes: dict[Team, str]
    duree: Duration
    injects: tuple[Inject, ...]
    attentes: tuple[Expectation, ...]
    jalons: Milestones | None = None

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        keys = [i.cle for i in self.injects] + [e.cle for e in self.attentes]
        doubles = sorted({k for k in keys if keys.count(k) > 1})
        if doubles:
            raise ValueError(f"clés en double : {', '.join(doubles)}")
        injects = {i.cle for i in self.injects}
        expectations = {e.cle for e in self.attentes}
        for item in self.injects:
            if item.si and item.si.attente not in expectations:
                raise ValueError(f"inject {item.cle} : attente inconnue « {item.si.attente} »")
        for item in self.attentes:
            if item.apres and item.apres not in injects:
                raise ValueError(f"attente {item.cle} : inject inconnu « {item.apres} »")
        if self.jalons:
            if self.jalons.incident not in injects:
                raise ValueError(f"jalons : inject inconnu « {self.jalons.incident} »")
            for name in ("detection", "confinement", "retablissement"):
                key = getattr(self.jalons, name)
                if key and key not in expectations:
                    raise ValueError(f"jalons.{name} : attente inconnue « {key} »")
        for item in (*self.injects, *self.attentes):
            if set(item.equipes if isinstance(item, Inject) else (item.equipe,)) - set(self.equipes):
                raise ValueError(f"{item.cle} : équipe absente de « equipes »")
        return self

    def for_level(self, level: str) -> tuple[list[Inject], list[Expectation]]:
        if level not in self.niveaux:
            raise ScenarioError(f"le scénario {self.id} ne se joue pas au niveau « {level} » "
                                f"(niveaux : {', '.join(self.niveaux)}).")
        return ([i for i in self.injects if level in i.niveaux],
                [e for e in self.attentes if level in e.niveaux])


def _line(node: yaml.Node, loc: tuple) -> int:
    """The 1-based line of the deepest YAML node that `loc` (pydantic's error path) reaches."""
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            found = next((v for k, v in node.value if k.value == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            found = node.value[part]
        else:
            found = None
        if found is None:
            break
        node = found
    return node.start_mark.line + 1


def parse(text: str, name: str) -> Scenario:
    """The scenario in `text`; a ScenarioError « name, ligne N, champ X : … » otherwise."""
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f", ligne {mark.line + 1}" if mark else ""
        raise ScenarioError(f"{name}{line} : YAML illisible ({getattr(exc, 'problem', exc)}).") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{name} : un scénario est un dictionnaire YAML (id, titre, injects…).")
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = tuple(p for p in error["loc"] if not ((isinstance(p, str) and p[:1].isupper())
                                                     or p in ("function-after", "literal")))
        sentence = describe_validation_error({**error, "loc": loc})
        raise ScenarioError(f"{name}, ligne {_line(node, loc)} : {sentence}.") from None


def load_file(path: Path) -> Scenario:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path} : fichier illisible ({exc.strerror}).") from None
    return parse(text, str(path))


@cache
def shipped() -> dict[str, Scenario]:
    """The scenarios shipped in sandbox/drills/scenarios/, by id."""
    folder = resources.files("sandbox.drills").joinpath("scenarios")
    found = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            scenario = parse(entry.read_text("utf-8"), f"scenarios/{entry.name}")
            found[scenario.id] = scenario
    return found


def find(name: str) -> Scenario:
    """A shipped scenario by id, or a scenario file by path."""
    if name in shipped():
        return shipped()[name]
    path = Path(name)
    if path.suffix in (".yaml", ".yml") and path.exists():
        return load_file(path)
    raise ScenarioError(f"scénario inconnu : « {name} » (scénarios livrés : "
                        f"{', '.join(shipped())} ; ou chemin d'un fichier .yaml).")
