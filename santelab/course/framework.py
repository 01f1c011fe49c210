"""The competency framework, read from `modules/competencies.yaml` (data, not code)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from synthetic_data.errors import SantelabError

# The course folder of this checkout (nbgrader's CourseDirectory.root).
COURSE_ROOT = Path(__file__).resolve().parents[2] / "modules"


@dataclass(frozen=True, slots=True)
class Domain:
    code: str
    title: str
    hours: float
    competencies: dict[str, str]  # code -> French title, in framework order


@dataclass(frozen=True, slots=True)
class Framework:
    domains: dict[str, Domain]
    assignments: dict[str, str]  # assignment id -> domain code
    beyond_core: frozenset[str] = frozenset()  # graded, outside the core hours

    def competency_title(self, code: str) -> str | None:
        for domain in self.domains.values():
            if code in domain.competencies:
                return domain.competencies[code]
        return None

    def domain_of(self, competency: str) -> str:
        """The domain a competency code belongs to (D4.1 -> D4), as the grading reports group it."""
        return competency.split(".", 1)[0]


def load_framework(root: Path = COURSE_ROOT) -> Framework:
    """Read the framework; a missing or malformed file is a user error, in French."""
    path = root / "competencies.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SantelabError(f"référentiel introuvable : {path} (dossier du cours attendu)") from None
    except yaml.YAMLError as exc:
        raise SantelabError(f"référentiel illisible ({path}) : {exc}".replace("\n", " ")) from None
    try:
        domains = {
            code: Domain(code, d["title"], float(d["hours"]), dict(d["competencies"]))
            for code, d in data["domains"].items()
        }
        assignments = dict(data["assignments"])
        beyond_core = frozenset(data.get("beyond_core") or ())
    except (KeyError, TypeError, AttributeError) as exc:
        raise SantelabError(f"référentiel mal formé ({path}) : clé manquante {exc}") from None
    unknown = sorted(set(assignments.values()) - set(domains))
    if unknown:
        raise SantelabError(f"référentiel : devoir rattaché à un domaine inconnu {unknown}")
    if beyond_core - set(assignments):
        raise SantelabError(f"référentiel : beyond_core nomme un devoir inconnu "
                            f"{sorted(beyond_core - set(assignments))}")
    return Framework(domains, assignments, beyond_core)
