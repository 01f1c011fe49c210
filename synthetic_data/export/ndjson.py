"""Bulk NDJSON export: one file per resource type (`Patient.ndjson`…), one resource a line."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import ExitStack
from pathlib import Path

# File order of the bulk export; every file exists, even when empty.
RESOURCE_TYPES = (
    "Organization", "Practitioner", "PractitionerRole", "Patient", "Encounter", "Condition",
    "Observation", "MedicationRequest", "Immunization", "DocumentReference", "Binary",
)


def group_lines(resources: Iterable[dict], lines: Iterable[bytes]) -> dict[str, bytes]:
    """NDJSON grouped by resource type; `lines` are the resources serialised (same order)."""
    grouped: dict[str, list[bytes]] = {}
    for resource, line in zip(resources, lines, strict=True):
        grouped.setdefault(resource["resourceType"], []).append(line)
    return {kind: b"\n".join(lines) + b"\n" for kind, lines in grouped.items()}


class NdjsonSink:
    """Appends grouped lines to the per-type files of one output folder."""

    def __init__(self, folder: Path) -> None:
        self._stack = ExitStack()
        self._files = {
            kind: self._stack.enter_context((folder / f"{kind}.ndjson").open("wb"))
            for kind in RESOURCE_TYPES
        }

    def write(self, grouped: dict[str, bytes]) -> None:
        for kind, data in grouped.items():
            self._files[kind].write(data)

    def close(self) -> None:
        self._stack.close()
