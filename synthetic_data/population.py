"""The population: identities + professionals + care histories, streamed and exported.

`generate()` builds the professional directory and loads the pathways (so a bad pathway file
fails at once, in French); patients are then produced on demand, one at a time, each history
from its own `random.Random(f"{seed}:hist:{id}")`, so a population of any size streams in flat
memory and any patient can be rebuilt alone. Writing may use a process
pool; output is byte-identical to serial mode because nothing is shared between patients.

A notebook-size population (at most `SNAPSHOT_MAX_PATIENTS`) is different: an exercise walks
`population.patients` several times, and rebuilding every history on each pass was most of a
graded notebook's CPU. Its first complete pass keeps a pickled snapshot of what it built, per
process and keyed by the settings, and later passes unpickle it: the same patients, bit for bit,
and still fresh objects on every pass (a student who edits a patient never changes the next
pass). A grading fork server builds the course's populations before forking, so its kernels
find the snapshots made (`santelab.grading.warmup`). Larger populations keep streaming.
"""

from __future__ import annotations

import gc
import pickle
import random
import signal
from collections import OrderedDict, defaultdict, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field, is_dataclass
from datetime import date
from itertools import islice
from multiprocessing import Pool
from pathlib import Path
from typing import TYPE_CHECKING

from synthetic_data import model
from synthetic_data import referentials as ref
from synthetic_data.errors import SantelabError
from synthetic_data.export import fhir_r4, ground_truth, ndjson, tables
from synthetic_data.export.writer import (
    OutputFolder,
    PatientOutput,
    PopulationWriter,
    WriteResult,
    render_patient,
)
from synthetic_data.fhir_models import model_class
from synthetic_data.identities import PitfallRates, people
from synthetic_data.pathways.engine import PathwayEngine, history_start
from synthetic_data.professionals import Directory, Mailbox, directory
from synthetic_data.referentials import GENERAL_PRACTITIONER
from synthetic_data.version import __version__

if TYPE_CHECKING:
    import pandas as pd

CHUNK = 16  # patients per task sent to a worker: small enough to keep memory flat
DEFAULT_FORMATS = ("ndjson", "csv")
SNAPSHOT_MAX_PATIENTS = 1000  # above, a population streams: ~22 kB a patient would be kept
SNAPSHOTS_KEPT = 4  # populations a process keeps a snapshot of (the least recently used goes)


@dataclass(frozen=True)
class GenerationSettings:
    """Everything that fixes a generated population; picklable, sent to worker processes."""

    n: int
    seed: int = 42
    rates: PitfallRates = field(default_factory=PitfallRates)
    years: int = 10
    reference_date: date = date(2026, 1, 1)
    pathways_dir: Path | None = None


class DirectoryContext:
    """The pathway engine's view of the health system, backed by the professional directory.

    `home` is the INSEE code of the patient being simulated: professionals and establishments
    are chosen in its département when there are some, as patients mostly consult nearby.
    """

    def __init__(self, dir_: Directory) -> None:
        self.directory = dir_
        self.home: str | None = None
        self._by_kind: dict[str, list[model.Organization]] = defaultdict(list)
        self._by_kind_dep: dict[tuple[str, str], list[model.Organization]] = defaultdict(list)
        places = ref.communes()
        for org in dir_.organizations:
            self._by_kind[org.kind].append(org)
            place = places.get(org.address.insee)
            if place is not None:
                self._by_kind_dep[(org.kind, place.departement)].append(org)

    def practitioner(
        self, rng: random.Random, profession: str, specialty: str | None = None
    ) -> model.Practitioner:
        return self.directory.pick(rng, profession, specialty, near_insee=self.home)

    def organization(self, rng: random.Random, kind: str) -> model.Organization:
        place = ref.communes().get(self.home) if self.home else None
        nearby = self._by_kind_dep.get((kind, place.departement)) if place else None
        candidates = nearby or self._by_kind.get(kind)
        if not candidates:
            raise SantelabError(f"aucun établissement de type « {kind} » dans l'annuaire.")
        return rng.choice(candidates)

    def gp(self, patient: model.Patient) -> model.Practitioner | None:
        if not patient.gp_id:
            return None
        found = self.directory.by_id(patient.gp_id)
        return found if isinstance(found, model.Practitioner) else None


class Simulator:
    """Per-process state (directory, loaded pathways) turning bare identities into patients."""

    def __init__(self, settings: GenerationSettings) -> None:
        self.settings = settings
        self.directory = directory(settings.seed, settings.n)
        self.engine = PathwayEngine.load(settings.pathways_dir)
        self.context = DirectoryContext(self.directory)
        self.export = fhir_r4.ExportContext(settings.seed, settings.reference_date)

    def history(self, patient: model.Patient) -> model.Patient:
        """Assign the médecin traitant near home, then run the pathways over the window."""
        s = self.settings
        rng = random.Random(f"{s.seed}:hist:{patient.id}")
        gp = self.directory.pick(rng, *GENERAL_PRACTITIONER, near_insee=patient.address.insee)
        patient.gp_id = gp.id
        self.context.home = patient.address.insee
        start = history_start(patient.identity.birth_date, s.reference_date, s.years)
        self.engine.run(patient, rng, self.context, start, s.reference_date)
        return patient

    def render(
        self, patient: model.Patient, formats: tuple[str, ...], validate: bool
    ) -> PatientOutput:
        return render_patient(self.history(patient), self.export, formats, validate)


_WORKER: tuple[Simulator, tuple[str, ...], bool] | None = None


def _init_worker(settings: GenerationSettings, formats: tuple[str, ...], validate: bool) -> None:
    """Worker start: build its own directory and engine (and import the R4B models it will
    validate with); leave Ctrl-C to the parent. What it has then lasts as long as the worker:
    `gc.freeze` spares it the full collections that the patients' objects keep triggering,
    which walked it all each time (a sixth of a worker's CPU, 1,000 patients unvalidated)."""
    global _WORKER
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _WORKER = (Simulator(settings), formats, validate)
    if validate:
        for kind in ndjson.RESOURCE_TYPES:
            model_class(kind)
    gc.freeze()


def _render_chunk(patients: list[model.Patient]) -> list[PatientOutput]:
    assert _WORKER is not None
    simulator, formats, validate = _WORKER
    return [simulator.render(p, formats, validate) for p in patients]


def _chunks(items: Iterator[model.Patient], size: int) -> Iterator[list[model.Patient]]:
    while chunk := list(islice(items, size)):
        yield chunk


def _frame(rows: Iterable[tuple], columns: tuple[str, ...]) -> pd.DataFrame:
    """A DataFrame of rows (pandas imported here: worker processes never need it)."""
    import pandas as pd

    return pd.DataFrame(list(rows), columns=list(columns))


# settings -> one pickle per patient of a complete pass (see the module docstring).
_SNAPSHOTS: OrderedDict[GenerationSettings, list[bytes]] = OrderedDict()
# settings -> passes unpickled ahead, which the next passes take (`unpickle_ahead`).
_AHEAD: dict[GenerationSettings, list[list[model.Patient]]] = {}


def _unpickle(blob: bytes) -> model.Patient:
    """A fresh patient from its snapshot; the cyclic GC is paused meanwhile, as it would
    otherwise scan the young objects over and over while thousands are made (3x slower)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return pickle.loads(blob)
    finally:
        if enabled:
            gc.enable()


class PatientStream:
    """Re-iterable stream of complete patients; each pass yields them anew, identically."""

    def __init__(self, population: Population) -> None:
        self._population = population

    def __len__(self) -> int:
        return self._population.settings.n

    def __iter__(self) -> Iterator[model.Patient]:
        settings = self._population.settings
        ahead = _AHEAD.get(settings)
        if ahead:
            yield from ahead.pop(0)
            return
        snapshot = _SNAPSHOTS.get(settings)
        if snapshot is not None:
            _SNAPSHOTS.move_to_end(settings)
            for blob in snapshot:
                yield _unpickle(blob)
            return
        simulator = self._population.simulator
        keep = settings.n <= SNAPSHOT_MAX_PATIENTS
        blobs = []
        for patient in self._population.identities():
            patient = simulator.history(patient)
            if keep:  # pickled before the caller sees it, and so before any edit
                blobs.append(pickle.dumps(patient, protocol=pickle.HIGHEST_PROTOCOL))
            yield patient
        if keep:  # only a complete pass: one left half-way keeps nothing
            _SNAPSHOTS[settings] = blobs
            while len(_SNAPSHOTS) > SNAPSHOTS_KEPT:
                _SNAPSHOTS.popitem(last=False)


def unpickle_ahead(population: Population, passes: int = 1) -> None:
    """Unpickle `passes` passes of `population` now, from its snapshot (made by a complete pass).

    For a process about to fork children that each walk it (a grading fork server): a child's
    first passes then take these patients, its own copy-on-write copies that nobody has touched
    or even seen, instead of unpickling them. Each pass ahead is taken once, by the next pass
    in whichever process; once they are all taken, passes unpickle as usual.
    """
    snapshot = _SNAPSHOTS.get(population.settings)
    if snapshot is not None:
        _AHEAD[population.settings] = [[_unpickle(blob) for blob in snapshot]
                                       for _ in range(passes)]


class Population:
    """A synthetic French population, fixed by its settings, produced on demand."""

    def __init__(self, settings: GenerationSettings) -> None:
        self.settings = settings
        self._simulator: Simulator | None = None

    def __repr__(self) -> str:
        s = self.settings
        return f"Population(n={s.n}, seed={s.seed}, years={s.years})"

    @property
    def simulator(self) -> Simulator:
        if self._simulator is None:
            self._simulator = Simulator(self.settings)
        return self._simulator

    def identities(self) -> Iterator[model.Patient]:
        """Patients with identity only (no history): cheap, for identity exercises."""
        s = self.settings
        return people(s.seed, s.n, rates=s.rates, reference_date=s.reference_date, years=s.years)

    @property
    def patients(self) -> PatientStream:
        return PatientStream(self)

    @property
    def practitioners(self) -> list[model.Practitioner]:
        return self.simulator.directory.practitioners

    @property
    def organizations(self) -> list[model.Organization]:
        return self.simulator.directory.organizations

    @property
    def mailboxes(self) -> list[Mailbox]:
        """The MSSanté mailboxes the directory lists (PER, ORG, CAB, APP)."""
        return self.simulator.directory.mailboxes

    def patient(self, patient_id: str) -> model.Patient:
        """One complete patient by id (its history rebuilt alone, identical to the stream)."""
        for patient in self.identities():
            if patient.id == patient_id:
                return self.simulator.history(patient)
        raise SantelabError(f"patient inconnu : {patient_id}")

    def dataframe(self, table: str) -> pd.DataFrame:
        """One flat table as a DataFrame (builds every patient: notebook-size populations)."""
        if table == "practitioners":
            return _frame(map(tables.practitioner_row, self.practitioners), tables.PRACTITIONER_COLUMNS)
        if table == "organizations":
            return _frame(map(tables.organization_row, self.organizations), tables.ORGANIZATION_COLUMNS)
        if table not in tables.PATIENT_TABLES:
            known = ", ".join([*tables.PATIENT_TABLES, "practitioners", "organizations"])
            raise SantelabError(f"table inconnue : {table} (tables possibles : {known})")
        columns, row_fn = tables.PATIENT_TABLES[table]
        return _frame((row for patient in self.patients for row in row_fn(patient)), columns)

    def ground_truth(self) -> pd.DataFrame:
        """Identity pitfalls and true traits, one row per patient (identities only: fast)."""
        return _frame(map(ground_truth.row, self.identities()), ground_truth.COLUMNS)

    def fhir(self) -> Iterator[dict]:
        """Every FHIR R4 resource as a dict: the directory first, then patient by patient."""
        sim = self.simulator
        yield from fhir_r4.directory_resources(self.organizations, self.practitioners, sim.export)
        for patient in self.patients:
            yield from fhir_r4.patient_resources(patient, sim.export)

    def outputs(
        self, formats: tuple[str, ...], validate: bool = False, workers: int = 1
    ) -> Iterator[PatientOutput]:
        """Rendered patients in order, from this process or from a pool of `workers`."""
        if workers <= 1 or self.settings.n <= CHUNK:  # a pool would only cost its start-up
            sim = self.simulator
            for patient in self.identities():
                yield sim.render(patient, formats, validate)
            return
        # Ctrl-C is held back while the workers start, so it never lands half-way through
        # Pool() with no pool yet to terminate; it is delivered as soon as the pool exists.
        allowed = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        pool = None
        try:
            pool = Pool(workers, _init_worker, (self.settings, formats, validate))
            signal.pthread_sigmask(signal.SIG_SETMASK, allowed)
            pending: deque = deque()
            chunks = _chunks(self.identities(), CHUNK)
            for chunk in islice(chunks, 2 * workers):
                pending.append(pool.apply_async(_render_chunk, (chunk,)))
            while pending:
                yield from pending.popleft().get()
                for chunk in islice(chunks, 1):
                    pending.append(pool.apply_async(_render_chunk, (chunk,)))
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, allowed)
            if pool is not None:
                pool.terminate()

    def write(
        self,
        out_dir: str | Path,
        formats: tuple[str, ...] = DEFAULT_FORMATS,
        validate: bool = False,
        progress: Callable[[int], object] | None = None,
        workers: int = 1,
        force: bool = False,
    ) -> WriteResult:
        """Write the population into `out_dir`, atomically (complete, or nothing)."""
        s = self.settings
        folder = OutputFolder(Path(out_dir), force=force)
        with folder as tmp:
            writer = PopulationWriter(tmp, formats, self.simulator.export)
            writer.write_directory(self.organizations, self.practitioners, validate)
            for output in self.outputs(formats, validate, workers):
                writer.add(output)
                if progress:
                    progress(1)
            counts = writer.close(
                {
                    "generator": "santelab",
                    "version": __version__,
                    "seed": s.seed,
                    "years": s.years,
                    "reference_date": s.reference_date.isoformat(),
                    "pathways": [pathway.name for pathway in self.simulator.engine.pathways],
                    "pitfall_rates": asdict(s.rates) if is_dataclass(s.rates) else None,
                }
            )
        return WriteResult(folder.target, writer.patients, counts)


def generate(
    n: int,
    seed: int = 42,
    rates: PitfallRates | None = None,
    years: int = 10,
    reference_date: date = date(2026, 1, 1),
    pathways_dir: str | Path | None = None,
) -> Population:
    """A population of `n` patients with `years` of history before `reference_date`."""
    if not isinstance(n, int) or n <= 0:
        raise SantelabError(f"le nombre de patients doit être un entier positif (reçu : {n}).")
    if years < 0:
        raise SantelabError(f"le nombre d'années d'historique doit être positif (reçu : {years}).")
    settings = GenerationSettings(
        n=n,
        seed=seed,
        rates=rates or PitfallRates(),
        years=years,
        reference_date=reference_date,
        pathways_dir=Path(pathways_dir) if pathways_dir else None,
    )
    population = Population(settings)
    population.simulator  # noqa: B018 - load directory and pathways now: fail early, in French
    return population
