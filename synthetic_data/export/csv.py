"""Flat CSV tables for pandas (`csv/patients.csv`…) and the identity `ground_truth.csv`."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from contextlib import ExitStack
from pathlib import Path


class CsvSink:
    """A set of CSV files, each opened with its header, written row by row."""

    def __init__(self, folder: Path, tables: dict[str, Sequence[str]]) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self._stack = ExitStack()
        self._writers = {}
        for name, columns in tables.items():
            path = folder / f"{name}.csv"
            handle = self._stack.enter_context(path.open("w", encoding="utf-8", newline=""))
            self._writers[name] = csv.writer(handle, lineterminator="\n")
            self._writers[name].writerow(columns)

    def write(self, name: str, rows: Iterable[Sequence]) -> None:
        self._writers[name].writerows(rows)

    def close(self) -> None:
        self._stack.close()
