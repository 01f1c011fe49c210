"""Same seed → byte-identical output folder, whatever the workers or the process's hash seed."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import synthetic_data

N = 30


def folder_digest(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _write(tmp_path: Path, name: str, seed: int, workers: int) -> dict[str, str]:
    out = tmp_path / name
    synthetic_data.generate(n=N, seed=seed, years=5).write(
        out, formats=("ndjson", "bundle", "csv"), workers=workers
    )
    return folder_digest(out)


def test_same_seed_is_byte_identical_and_another_seed_differs(tmp_path) -> None:
    first = _write(tmp_path, "a", seed=3, workers=1)
    assert len(first) > N
    assert _write(tmp_path, "b", seed=3, workers=1) == first
    other = _write(tmp_path, "c", seed=4, workers=1)
    assert other.keys() == first.keys()
    assert other["Patient.ndjson"] != first["Patient.ndjson"]
    assert other["Observation.ndjson"] != first["Observation.ndjson"]


def test_parallel_workers_give_the_serial_bytes(tmp_path) -> None:
    assert _write(tmp_path, "serial", seed=8, workers=1) == _write(
        tmp_path, "pool", seed=8, workers=2
    )


def test_independent_of_the_interpreter_hash_seed(tmp_path) -> None:
    """Set iteration order changes with PYTHONHASHSEED; the output must not."""
    digests = []
    for hash_seed in ("1", "2"):
        out = tmp_path / f"hash{hash_seed}"
        result = subprocess.run(
            [sys.executable, "-m", "santelab", "generate", "-n", "20", "--seed", "9",
             "--years", "5", "--out", str(out), "--format", "ndjson,csv", "--workers", "1"],
            capture_output=True, text=True, check=False,
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
        )
        assert result.returncode == 0, result.stderr
        digests.append(folder_digest(out))
    assert digests[0] == digests[1]
