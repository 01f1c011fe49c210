"""State types (`type:`) of a pathway, one small class each, registered by name.

A state reads its fields once, at load time (`setup`), and is shared by every patient.
`process` does the state's work when the patient is in it and answers when to leave:
None (now) or a `Wait` (leave at `until`, or re-test then when `recheck`).
"""

from __future__ import annotations

import itertools
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from synthetic_data import model
from synthetic_data.pathways.conditions import Logic, build_condition, code_key
from synthetic_data.pathways.documents import Template, Templates
from synthetic_data.pathways.errors import SpecError
from synthetic_data.pathways.physiology import DERIVED, effects
from synthetic_data.pathways.prescribing import blocking_rule
from synthetic_data.pathways.transitions import KINDS, Transition, build_transition
from synthetic_data.pathways.units import Duration, number
from synthetic_data.referentials import GENERAL_PRACTITIONER
from synthetic_data.terminology import coding

if TYPE_CHECKING:
    from synthetic_data.pathways.pathway import Instance, Pathway
    from synthetic_data.pathways.simulation import PatientRun


class Wait(NamedTuple):
    until: datetime
    recheck: bool = False


STATES: dict[str, type[State]] = {}
COMMON_FIELDS = frozenset({"type", "remarks", *KINDS})
VALUE_FIELDS = frozenset({"derived", "exact", "range", "gaussian", "min", "max", "decimals", "trend_per_year", "walk_sd"})
MEASURED_FIELDS = VALUE_FIELDS | {"code", "unit", "reference"}
ENCOUNTER_CLASSES = ("AMB", "IMP", "HH", "VR", "EMER")
CATEGORIES = ("vital-signs", "laboratory", "survey", "imaging", "exam")


def register(cls: type[State]) -> type[State]:
    STATES[cls.__name__] = cls
    return cls


def field_str(spec: dict[str, Any], key: str, default: str | None = None) -> str:
    value = spec.get(key, default)
    if not isinstance(value, str) or not value:
        raise SpecError(f"champ « {key} » manquant ou vide")
    return value


def choice(spec: dict[str, Any], key: str, allowed: tuple[str, ...], default: str | None = None) -> str:
    value = spec.get(key, default)
    if value not in allowed:
        raise SpecError(f"champ « {key} » : {value!r} n'est pas parmi {', '.join(allowed)}")
    return value


def current_encounter(inst: Instance, state: State) -> model.Encounter:
    if inst.encounter is None:
        raise SpecError(f"l'état « {state.name} » ({type(state).__name__}) exige une rencontre en cours (état Encounter avant)")
    return inst.encounter


def check_fields(spec: dict[str, Any], allowed: frozenset[str], what: str) -> None:
    """Refuse unknown keys: a misspelt optional field would otherwise be silently ignored."""
    unknown = sorted(set(spec) - allowed)
    if unknown:
        raise SpecError(
            f"champ(s) inconnu(s) pour {what} : {', '.join(unknown)} (permis : {', '.join(sorted(allowed))})"
        )


class State:
    needs_transition: ClassVar[bool] = True
    fields: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, name: str, spec: dict[str, Any], templates: Templates) -> None:
        check_fields(spec, COMMON_FIELDS | self.fields, type(self).__name__)
        self.name = name
        self.transition: Transition | None = build_transition(spec)
        if self.transition is None and self.needs_transition:
            raise SpecError("aucune transition (direct_transition, distributed_transition, conditional_transition ou complex_transition)")
        self.setup(spec, templates)

    def setup(self, spec: dict[str, Any], templates: Templates) -> None:
        """Read the type's own fields."""

    def process(self, run: PatientRun, inst: Instance, now: datetime) -> Wait | None:
        return None


@register
class Initial(State):
    pass


@register
class Simple(State):
    pass


@register
class Terminal(State):
    needs_transition = False

    def setup(self, spec: dict[str, Any], templates: Templates) -> None:
        if self.transition is not None:
            raise SpecError("un état Terminal n'a pas de transition")


@register
class Delay(State):
    """Wait a drawn duration; day-or-longer delays end at midnight."""

    fields = frozenset({"exact", "range"})

    def setup(self, spec: dict[str, Any], templates: Templates) -> None:
        self.duration = Duration(spec.get("exact", spec.get("range")))

    def process(self, run: PatientRun, inst: Instance, now: datetime) -> Wait | None:
        until = self.duration.after(now, run.rng)
        if self.duration.calendar:
            until = datetime.combine(until.date(), time())
        return Wait(until) if until > now else None


@register
class Guard(State):
    """Stay until `allow` holds, re-testing every `recheck` (7 days by default, as Synthea)."""

    fields = frozenset({"allow", "recheck"})

    def setup(self, spec: dict[str, Any], templates: Templates) -> None:
        self.allow: Logic = build_condition(spec.get("allow"))
        self.step = timedelta(days=Duration(spec.get("recheck", {"quantity": 7, "unit": "days"})).low)

    def process(self, run: PatientRun, inst: Instance, now: datetime) -> Wait | None:
        if self.allow.test(run, inst, now):
            return None
        until = now + self.step
        earliest = self.allow.earliest(run, now)
        return Wait(max(until, earliest) if earliest is not None else until, recheck=True)


@register
class SetAttribute(State):

    fields = frozenset({"attribute", "value"})

    def setup(self, spec: dict[str, Any], templates: Templates) -> None:
        self.attribute = field_str(spec, "attribute")
        self.value = spec.get("value")

    def process(self, run: PatientRun, inst: Instance, now: datetime) -> Wait | None:
        if self.value is None:
            run.attributes.pop(self.attribute, None)
        else:
            run.attributes[self.attribute] = self.value
        return None


@register
class Counter(State):

    fields = frozenset({"attribute", "action", "amount"})

    def setup(self, spec: dict[str, Any], templates: Templates) -> None:
        self.attribute = field_str(spec, "attribute")
        action = choice(spec, "action", ("increment", "decrement"))
        self.step = int(spec.get("amount", 1)) * (1 if action == "increment" else -1)

    def process(self, run: PatientRun, inst: Instance, now: datetime) -> Wait | None:
        run.attributes[self.attribute] = run.attributes.get(self.attribute, 0) + self.step
        return None


@register
class CallSubmodule(State):
    """Walk a shared submodule (`shared/<name>`) to its Terminal, then follow our transition."""

    fields = frozenset({"submodule"})

    def setup(self, spec: dict[str, Any], templates: Templates) -> None:
        self.submodule_name = field_str(spec, "submodule")
        self.submodule: Pathway | None = None  # linked by the loader once all files are read


@register
class Encounter(State):

    fields = frozenset({"encounter_class", "reason", "provider", "organization", "duration"})

    def setup(self, spec: dict[str, Any], templates: Templates) -> None:
        self.kind = choice(spec, "encounter_class", ENCOUNTER_CLASSES)
        self.reason = coding(code_key(spec["reason"])) if "reason" in spec else None
        provider = spec.get("provider", "gp")
        self.specialty: str | None
        if provider == "gp":
            self.profession, self.specialty = GENERAL_PRACTITIONER
        elif isinstance(provider, dict):
            self.profession, self.specialty = field_str(provider, "profession"), provider.get("specialty")
        else:
            raise SpecError(f"champ « provider » : « gp » ou {{profession, specialty}} attendu, reçu {provider!r}")
        self.organization_kind: str | None = spec.get("organization")
        default = {"quantity": 20, "unit": "minutes"} if self.kind != "IMP" else {"quantity": 0, "unit": "minutes"}
        self.duration = Duration(spec.get("duration", default))

    def process(self, run: PatientRun, inst: Instance, now: datetime) -> Wait | None:
        start = now
        if now.hour == 0 and now.minute == 0:
            first, last = (8 * 60, 18 * 60) if self.kind in ("AMB", "VR", "HH") else (0, 24 * 60)
            start = now + timedelta(minutes=run.rng.randrange(first, last, 15))
        professional = run.practitioner(self.profession, self.specialty)
        organization = (
            run.organization(self.organization_kind).id if self.organization_kind else professional.organization_id
        )
        inst.encounter = model.Encounter(
            run.new_id("enc"), self.kind, start, start + self.duration.draw(run.rng), self.reason,
            professional.id, organization, inst.root,
        )
        run.patient.encounters.append(inst.encounter)
        return Wait(start) if start > now else None


@register
class EncounterEnd(State):
    def process(self, run: PatientRun, inst: Instance, now: datetime) -> Wait | None:
        encounter = current_encounter(inst, self)
        encounter.end = max(encounter.end, now)
        inst.encounter = None
        return None


@register
class ConditionOnset(State):
    """Diagnose a condition now, or `backdate` its onset before the history starts; its
    `effects` move the patient's physiology (`{glucose: {mean, sd}}` at diabetes onset)."""

    fields = frozenset({"codes", "backdate", "effects"})

    def setup(self, spec: dict[str, Any], templates: Templates) -> None:
        codes = spec.get("codes")
        if not isinstance(codes, list) or not codes:
            raise SpecError("champ « codes » : liste de codes attendue (CIM-10 d'abord)")
        self.keys = [code_key(c) for c in codes]
        self.codes = [coding(k) for k in self.keys]
        self.backdate = Duration(spec["backdate"]) if "backdate" in spec else None
        self.effects = effects(spec.get("effects"))

    def process(self, run: PatientRun, inst: Instance, now: datetime) -> Wait | None:
        if self.keys[0] in run.active:
            return None
        onset = now - self.backdate.draw(run.rng) if self.backdate else now
        encounter = inst.encounter.id if inst.encounter else None
        condition = model.Condition(run.new_id("cond"), list(self.codes), max(onset, run.birth).date(), encounter)
        run.patient.conditions.append(condition)
        for effect in self.effects:
            run.physiology_at(now).shift(effect, run.rng)
        for key in self.keys:
            run.active[key] = condition
        return None


@register
class ConditionEnd(State):

    fields = frozenset({"codes"})

    def setup(self, spec: dict[str, Any], templates: Templates) -> None:
        codes = spec.get("codes")
        if not isinstance(codes, list) or not codes:
            raise SpecError("champ « codes » : liste de codes attendue")
        self.keys = [code_key(c) for c in codes]

    def process(self, run: PatientRun, inst: Instance, now: datetime) -> Wait | None:
        for key in self.keys:
            condition = run.active.get(key)
            if condition is not None:
                condition.resolved = now.date()
                for coded in condition.codes:
                    run.active.pop(f"{coded.system}:{coded.code}", None)
        return None


class Value:
    """A drawn number: exact, uniform `range` or `gaussian`, clamped, rounded, maybe trending.

    A gaussian's mean may follow age (`mean_by_age: [[age, mean], …]`, linear in between) and
    its spread be absolute (`sd`) or relative (`cv`). `trend_per_year` shifts the draw by the
    years spent in the pathway; `walk_sd` makes the value a random walk from the patient's
    previous value of the same code (weight, telemonitoring series), drifting by the trend.
    `derived` measures the patient's latent physiology instead (creatinine, egfr, hba1c,
    glucose): the value then follows the patient, not a population draw.
    """

    def __init__(self, spec: dict[str, Any]) -> None:
        self.by_age: list[tuple[float, float]] = []
        self.sd = self.cv = 0.0
        self.derived = choice(spec, "derived", DERIVED) if "derived" in spec else None
        if self.derived is not None:
            self.low = self.high = 0.0
        elif "exact" in spec:
            self.low = self.high = number(spec, "exact")
        elif "range" in spec:
            self.low, self.high = number(spec["range"], "low"), number(spec["range"], "high")
        elif "gaussian" in spec:
            gauss = spec["gaussian"]
            if "mean_by_age" in gauss:
                self.by_age = sorted((float(a), float(m)) for a, m in gauss["mean_by_age"])
                self.low = self.high = self.by_age[0][1]
            else:
                self.low = self.high = number(gauss, "mean")
            self.sd = number(gauss, "sd") if "sd" in gauss else 0.0
            self.cv = number(gauss, "cv") if "cv" in gauss else 0.0
        else:
            raise SpecError("valeur attendue : « exact », « range: {low, high} » ou « gaussian: {mean, sd} »")
        self.minimum = number(spec, "min") if "min" in spec else float("-inf")
        self.maximum = number(spec, "max") if "max" in spec else float("inf")
        self.decimals = int(spec.get("decimals", 1))
        self.trend = number(spec, "trend_per_year") if "trend_per_year" in spec else 0.0
        self.walk = number(spec, "walk_sd") if "walk_sd" in spec else None

    def mean(self, run: PatientRun, now: datetime) -> float:
        if not self.by_age:
            return self.low
        age = (now - run.birth).days / 365.25
        points = self.by_age
        for (a0, m0), (a1, m1) in itertools.pairwise(points):
            if age < a1:
                return m0 + (m1 - m0) * max(0.0, age - a0) / (a1 - a0)
        return points[-1][1]

    def draw(self, run: PatientRun, inst: Instance, now: datetime, key: str) -> float:
        previous = run.series.get(key)
        if self.derived is not None:
            value = run.physiology_at(now).measure(self.derived, run.rng, now, run.treated(), run.series)
        elif self.walk is not None and previous:
            last_time, last = previous[-1]
            value = last + run.rng.gauss(0.0, self.walk) + self.trend * (now - last_time).days / 365.25
        else:
            mean = self.mean(run, now)
            spread = self.sd + self.cv * mean
            if self.low != self.high:
                value = run.rng.uniform(self.low, self.high)
            else:
                value = run.rng.gauss(mean, spread) if spread else mean
            value += self.trend * (now - inst.entered).days / 365.25
        value = round(min(self.maximum, max(self.minimum, value)), self.decimals)
        run.series.setdefault(key, []).append((now, value))
        return value


class Measured:
    """A code with its UCUM unit, value and optional reference range (for H/L/N)."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.key = code_key(spec.get("code"))
        self.code = coding(self.key)
        self.unit = field_str(spec, "unit")
        self.value = Value(spec)
        reference = spec.get("reference")
        self.reference = (number(reference, "low"), number(reference, "high")) if reference else None

    def interpret(self, value: float) -> str | None:
        if self.reference is None:
            return None
        low, high = self.reference
        return "L" if value < low else "H" if value > high else "N"


@register
class Observation(State):
    fields = frozenset({"category", "components", *MEASURED_FIELDS})

    def setup(self, spec: dict[str, Any], templates: Templates) -> None:
        self.category = choice(spec, "category", CATEGORIES)
        parts = spec.get("components")
        if parts is not None:
            self.code = coding(code_key(spec.get("code")))
            self.measured = None
            if not isinstance(parts, list) or not all(isinstance(part, dict) for part in parts):
                raise SpecError("champ « components » : liste de mesures {code, unit, valeur} attendue")
            for part in parts:
                check_fields(part, MEASURED_FIELDS, "un composant")
            self.components = [Measured(part) for part in parts]
        else:
            self.measured = Measured(spec)
            self.code = self.measured.code
            self.components = []

    def process(self, run: PatientRun, inst: Instance, now: datetime) -> Wait | None:
        encounter = inst.encounter
        obs = model.Observation(run.new_id("obs"), self.code, self.category, now, encounter.id if encounter else None)
        if self.measured is not None:
            obs.value = self.measured.value.draw(run, inst, now, self.measured.key)
            obs.unit = self.measured.unit
            obs.interpretation = self.measured.interpret(obs.value)
        flags = []
        for part in self.components:
            value = part.value.draw(run, inst, now, part.key)
            obs.components.append((part.code, value, part.unit))
            flags.append(part.interpret(value))
        if "H" in flags or "L" in flags:
            obs.interpretation = "H" if "H" in flags else "L"
        elif flags and None not in flags:
            obs.interpretation = "N"
        run.patient.observations.append(obs)
        return None


@register
class MedicationOrder(State):
    """Prescribe a drug, kept as a current treatment of the pathway unless `renewable: false`
    (antibiotics, a short dose increase), or `renew` every current treatment.

    Every order passes the safe-prescribing rules (`prescribing.py`): a drug they forbid now is
    not prescribed, and is dropped from the treatment (`stop`) or kept to resume later
    (`suspend`). `effects` move the physiology while the drug is taken (glucose lowering)."""

    fields = frozenset({"renew", "code", "drug_name", "dosage", "duration_days", "renewable", "effects"})

    def setup(self, spec: dict[str, Any], templates: Templates) -> None:
        self.renew = bool(spec.get("renew", False))
        self.effects = effects(spec.get("effects"))
        if not self.renew:
            self.key = code_key(spec.get("code"))
            self.medication = coding(self.key)
            self.drug_name = field_str(spec, "drug_name")
            self.dosage = field_str(spec, "dosage")
            self.days = int(spec.get("duration_days", 30))
            self.renewable = bool(spec.get("renewable", True))

    def process(self, run: PatientRun, inst: Instance, now: datetime) -> Wait | None:
        encounter = current_encounter(inst, self)
        current = run.treatments.setdefault(inst.root, {})
        orders = [m for m in current.values() if m.encounter_id != encounter.id] if self.renew else [None]
        for previous in orders:
            medication, drug, dosage, days = (
                (previous.medication, previous.drug_name, previous.dosage, previous.duration_days)
                if previous else (self.medication, self.drug_name, self.dosage, self.days)
            )
            order = model.MedicationRequest(
                run.new_id("med"), medication, drug, dosage, now, encounter.practitioner_id,
                encounter.id, days,
            )
            keep = previous is not None or self.renewable
            rule = blocking_rule(run, medication.code, now)
            if rule is not None:
                if rule.action == "stop":
                    current.pop(medication.code, None)
                elif keep and previous is None:
                    current[medication.code] = order  # suspended: renewed once the rule lifts
                continue
            run.patient.medications.append(order)
            if keep:
                current[medication.code] = order
            if previous is None:
                for effect in self.effects:
                    run.physiology_at(now).shift(effect, run.rng, medication.code)
        return None


@register
class MedicationEnd(State):

    fields = frozenset({"code"})

    def setup(self, spec: dict[str, Any], templates: Templates) -> None:
        self.code = coding(code_key(spec.get("code"))).code

    def process(self, run: PatientRun, inst: Instance, now: datetime) -> Wait | None:
        run.treatments.get(inst.root, {}).pop(self.code, None)
        return None


@register
class Immunization(State):

    fields = frozenset({"code"})

    def setup(self, spec: dict[str, Any], templates: Templates) -> None:
        self.vaccine = coding(code_key(spec.get("code")))

    def process(self, run: PatientRun, inst: Instance, now: datetime) -> Wait | None:
        encounter = current_encounter(inst, self)
        run.patient.immunizations.append(model.Immunization(
            run.new_id("imm"), self.vaccine, now.date(), encounter.practitioner_id, encounter.id
        ))
        return None


@register
class Document(State):
    """A French clinical document rendered from a template with the patient's data."""

    fields = frozenset({"document_type", "class_code", "title", "confidentiality", "template"})

    def setup(self, spec: dict[str, Any], templates: Templates) -> None:
        self.type = coding(code_key(spec.get("document_type")))
        self.class_code = field_str(spec, "class_code")
        self.title = field_str(spec, "title")
        self.confidentiality = choice(spec, "confidentiality", ("N", "R", "V"), "N")
        self.template: Template = templates.get(field_str(spec, "template"))

    def process(self, run: PatientRun, inst: Instance, now: datetime) -> Wait | None:
        encounter = current_encounter(inst, self)
        when = max(now, encounter.end)
        run.patient.documents.append(model.ClinicalDocument(
            run.new_id("doc"), self.type, self.class_code, self.title,
            self.template.render(run, encounter, self.title, when), when, encounter.practitioner_id,
            encounter.id, self.confidentiality,
        ))
        return None
