"""Load pathway files and check them; every problem is a `PathwayError` naming `file:state`.

Checks, as Synthea's loader and `Module.validate()` do: readable YAML, known state and
condition types, a transition on every non-terminal state, transitions to known states,
probabilities summing to 1, known submodules, and no state unreachable from `Initial`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from synthetic_data.pathways.documents import Templates
from synthetic_data.pathways.errors import PathwayError, SpecError
from synthetic_data.pathways.pathway import MEASURES, POPULATIONS, Pathway, Prevalence
from synthetic_data.pathways.states import STATES, CallSubmodule, State
from synthetic_data.terminology import UnknownCode, coding

SHARED = "shared"
DEFAULT_DIRECTORY = Path(__file__).parent
YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path, label: str) -> dict[str, Any]:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=YamlLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (ligne {mark.line + 1})" if mark is not None else ""
        raise PathwayError(f"{label} : YAML mal formé{where} : {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise PathwayError(f"{label} : le fichier doit décrire un parcours (name, remarks, states)")
    return data


def parse_prevalence(spec: Any, label: str) -> Prevalence | None:
    if spec is None:
        return None
    try:
        if not isinstance(spec, dict):
            raise SpecError("bloc « prevalence » : dictionnaire attendu")
        if spec.get("population") not in POPULATIONS:
            raise SpecError(f"prevalence.population : une valeur parmi {', '.join(POPULATIONS)}")
        if spec.get("measure", "active_at_end") not in MEASURES:
            raise SpecError(f"prevalence.measure : une valeur parmi {', '.join(MEASURES)}")
        coding(str(spec.get("condition")))
        return Prevalence(float(spec["target"]), float(spec["tolerance"]), spec["population"],
                          str(spec["condition"]), str(spec.get("measure", "active_at_end")),
                          str(spec.get("source", "")))
    except (KeyError, TypeError, ValueError, UnknownCode) as exc:
        message = exc.args[0] if isinstance(exc, SpecError | UnknownCode) else f"champ manquant ou invalide {exc}"
        raise PathwayError(f"{label}:prevalence : {message}") from None


def build_state(name: str, spec: Any, templates: Templates, label: str) -> State:
    if not isinstance(spec, dict):
        raise PathwayError(f"{label}:{name} : l'état doit être un dictionnaire (type, transition…)")
    cls = STATES.get(spec.get("type"))
    if cls is None:
        raise PathwayError(
            f"{label}:{name} : type d'état inconnu « {spec.get('type')} » (types connus : {', '.join(sorted(STATES))})"
        )
    try:
        return cls(name, spec, templates)
    except SpecError as exc:
        raise PathwayError(f"{label}:{name} : {exc.args[0]}") from None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise PathwayError(f"{label}:{name} : champ manquant ou invalide ({exc})") from None


def build_pathway(path: Path, key: str, templates: Templates, label: str) -> Pathway:
    data = read_yaml(path, label)
    name, states = data.get("name"), data.get("states")
    if not isinstance(name, str) or not name:
        raise PathwayError(f"{label} : champ « name » manquant")
    if not isinstance(states, dict) or "Initial" not in states:
        raise PathwayError(f"{label} : « states » doit contenir un état « Initial »")
    built = {state: build_state(state, spec, templates, label) for state, spec in states.items()}
    if type(built["Initial"]).__name__ != "Initial":
        raise PathwayError(f"{label}:Initial : l'état Initial doit être de type Initial")
    remarks = data.get("remarks", [])
    return Pathway(name=name, key=key, file=label, title=str(data.get("title", name)),
                   remarks=remarks if isinstance(remarks, list) else [str(remarks)],
                   states=built, prevalence=parse_prevalence(data.get("prevalence"), label))


def check_graph(pathway: Pathway, submodules: dict[str, Pathway]) -> None:
    """Transitions lead to known states, submodules exist, every state is reachable."""
    for state in pathway.states.values():
        for target in state.transition.targets() if state.transition else []:
            if target not in pathway.states:
                raise PathwayError(f"{pathway.file}:{state.name} : transition vers l'état inconnu « {target} »")
        if isinstance(state, CallSubmodule):
            state.submodule = submodules.get(state.submodule_name)
            if state.submodule is None:
                raise PathwayError(
                    f"{pathway.file}:{state.name} : sous-module inconnu « {state.submodule_name} » "
                    f"(connus : {', '.join(sorted(submodules)) or 'aucun'})"
                )
    seen, todo = {"Initial"}, ["Initial"]
    while todo:
        state = pathway.states[todo.pop()]
        for target in state.transition.targets() if state.transition else []:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    for name in pathway.states:
        if name not in seen:
            raise PathwayError(f"{pathway.file}:{name} : état inaccessible depuis Initial")


def load_directory(directory: Path) -> list[Pathway]:
    """Read `*.yaml` (pathways) and `shared/*.yaml` (submodules) of a folder, checked."""
    if not directory.is_dir():
        raise PathwayError(f"{directory} : dossier de parcours introuvable")
    templates = Templates(directory / "documents", DEFAULT_DIRECTORY / "documents")
    submodules = {
        f"{SHARED}/{p.stem}": build_pathway(p, f"{SHARED}/{p.stem}", templates, f"{SHARED}/{p.name}")
        for p in sorted((directory / SHARED).glob("*.yaml"))
    }
    pathways = [build_pathway(p, p.stem, templates, p.name) for p in sorted(directory.glob("*.yaml"))]
    if not pathways:
        raise PathwayError(f"{directory} : aucun fichier de parcours (*.yaml)")
    names: dict[str, str] = {}
    for pathway in [*submodules.values(), *pathways]:
        if pathway.name in names and pathway in pathways:
            raise PathwayError(f"{pathway.file} : nom « {pathway.name} » déjà utilisé par {names[pathway.name]}")
        names[pathway.name] = pathway.file
        check_graph(pathway, submodules)
    return pathways
