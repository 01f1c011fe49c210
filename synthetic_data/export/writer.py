"""Writing a population to a folder: per-patient rendering, sinks, atomic publication.

Rendering (history already built → serialised bytes and rows) is what worker processes do;
the sinks run in the parent and only append bytes, so output order is the patients' order
whatever the number of workers. The folder is filled under a hidden temporary sibling and
renamed into place only once complete: an interrupted run leaves nothing that looks done.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from synthetic_data import model
from synthetic_data.errors import SantelabError
from synthetic_data.export import bundle, fhir_r4, ground_truth, ndjson, tables
from synthetic_data.export.csv import CsvSink
from synthetic_data.export.validate import validate_serialised

FORMATS = ("ndjson", "bundle", "csv")


@dataclass(slots=True)
class PatientOutput:
    """One patient, rendered: what the parent appends to the open files."""

    patient_id: str
    ndjson: dict[str, bytes]
    bundle: bytes | None
    rows: dict[str, list[tuple]]
    ground_truth: tuple
    counts: Counter = field(default_factory=Counter)


def render_patient(
    p: model.Patient, ctx: fhir_r4.ExportContext, formats: tuple[str, ...], validate: bool
) -> PatientOutput:
    resources = list(fhir_r4.patient_resources(p, ctx))
    lines = serialised(resources, validate) if validate or "ndjson" in formats else []
    return PatientOutput(
        patient_id=p.id,
        ndjson=ndjson.group_lines(resources, lines) if "ndjson" in formats else {},
        bundle=(
            bundle.dumps(bundle.transaction(p.id, resources, ctx)) if "bundle" in formats else None
        ),
        rows=(
            {name: list(rows(p)) for name, (_, rows) in tables.PATIENT_TABLES.items()}
            if "csv" in formats
            else {}
        ),
        ground_truth=ground_truth.row(p),
        counts=Counter(r["resourceType"] for r in resources),
    )


def serialised(resources: list[dict], validate: bool) -> list[bytes]:
    """Each resource's JSON, serialised once; with `validate`, each checked against the R4B
    models as written."""
    lines = [orjson.dumps(resource) for resource in resources]
    if validate:
        for resource, line in zip(resources, lines, strict=True):
            validate_serialised(resource, line)
    return lines


def parse_formats(text: str) -> tuple[str, ...]:
    """'ndjson,csv' → ('ndjson', 'csv'), refusing unknown names in French."""
    names = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    unknown = [name for name in names if name not in FORMATS]
    if unknown or not names:
        raise SantelabError(
            f"format inconnu : {', '.join(unknown) or '(vide)'} "
            f"(formats possibles : {', '.join(FORMATS)})"
        )
    return names


def check_target(target: Path, force: bool) -> Path:
    """Refuse, in French, an output folder we must not fill; return its parent."""
    if target.exists() and not target.is_dir():
        raise SantelabError(f"{target} existe et n'est pas un dossier.")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise SantelabError(
            f"le dossier {target} n'est pas vide : choisissez un autre dossier "
            "ou ajoutez --force pour le remplacer."
        )
    parent = target.resolve().parent
    if not parent.is_dir():
        raise SantelabError(f"le dossier parent {parent} n'existe pas.")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise SantelabError(f"impossible d'écrire dans {parent} : permission refusée.")
    return parent


class OutputFolder:
    """Context manager giving a temporary sibling folder, renamed to `target` on success."""

    def __init__(self, target: Path, force: bool = False) -> None:
        self.target = Path(target)
        self.force = force
        parent = check_target(self.target, force)
        self.tmp = parent / f".{self.target.name}.partial-{os.getpid()}"

    def __enter__(self) -> Path:
        try:
            self.tmp.mkdir()
        except OSError as exc:
            raise SantelabError(f"impossible de créer {self.tmp} : {exc.strerror}.") from exc
        return self.tmp

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            return
        if self.target.exists():
            shutil.rmtree(self.target)
        self.tmp.rename(self.target)


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What a finished write produced: where, how many patients, resources per type."""

    folder: Path
    patients: int
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class PopulationWriter:
    """The open sinks of one output folder, fed patient by patient."""

    def __init__(self, folder: Path, formats: tuple[str, ...], ctx: fhir_r4.ExportContext):
        self.folder, self.formats, self.ctx = folder, formats, ctx
        self.counts: Counter = Counter()
        self.patients = 0
        self._ndjson = ndjson.NdjsonSink(folder) if "ndjson" in formats else None
        self._bundles = folder / "bundles"
        if "bundle" in formats:
            self._bundles.mkdir()
        csv_tables: dict = {"ground_truth": ground_truth.COLUMNS}
        if "csv" in formats:
            csv_tables |= {name: cols for name, (cols, _) in tables.PATIENT_TABLES.items()}
            csv_tables |= {
                "practitioners": tables.PRACTITIONER_COLUMNS,
                "organizations": tables.ORGANIZATION_COLUMNS,
            }
        self._csv = CsvSink(folder, csv_tables)

    def write_directory(
        self, organizations: list[model.Organization], practitioners: list[model.Practitioner],
        validate: bool = False,
    ) -> None:
        resources = list(fhir_r4.directory_resources(organizations, practitioners, self.ctx))
        lines = serialised(resources, validate) if validate or self._ndjson else []
        self.counts.update(r["resourceType"] for r in resources)
        if self._ndjson:
            self._ndjson.write(ndjson.group_lines(resources, lines))
        if "bundle" in self.formats:
            data = bundle.dumps(bundle.transaction("directory", resources, self.ctx))
            (self._bundles / "directory.json").write_bytes(data)
        if "csv" in self.formats:
            self._csv.write("practitioners", map(tables.practitioner_row, practitioners))
            self._csv.write("organizations", map(tables.organization_row, organizations))

    def add(self, out: PatientOutput) -> None:
        self.patients += 1
        self.counts.update(out.counts)
        if self._ndjson:
            self._ndjson.write(out.ndjson)
        if out.bundle is not None:
            (self._bundles / f"{out.patient_id}.json").write_bytes(out.bundle)
        for name, rows in out.rows.items():
            self._csv.write(name, rows)
        self._csv.write("ground_truth", [out.ground_truth])

    def close(self, manifest: dict) -> dict[str, int]:
        """Close every file and write `manifest.json`; return resources per type."""
        if self._ndjson:
            self._ndjson.close()
        self._csv.close()
        manifest = {
            **manifest,
            "formats": list(self.formats),
            "patients": self.patients,
            "resources": {kind: self.counts[kind] for kind in ndjson.RESOURCE_TYPES},
        }
        (self.folder / "manifest.json").write_bytes(
            orjson.dumps(manifest, option=orjson.OPT_INDENT_2) + b"\n"
        )
        return manifest["resources"]
