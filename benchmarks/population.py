"""Population benchmark: patients/s and peak memory of `santelab generate`, plus ceilings.

Runs the real command in a child process for each size, samples the RSS of its whole process
tree (parent + workers) with psutil, and prints the figures. The serialisation ceiling
(json.dumps, orjson.dumps, and R4B validation with and without
synthetic_data.fhir_models' per-class checks) is measured in the same run on the
resources of a small population, so figures compare on the same machine.

    .venv/bin/python benchmarks/population.py              # 1,000 and 10,000 patients (~5 min)
    .venv/bin/python benchmarks/population.py --sizes 200  # quick look
    .venv/bin/python benchmarks/population.py --baseline main  # each run beside main's code

With `--baseline REV`, every run is made twice in a row, by this code and by the code of REV
(checked out with `git worktree` into a temporary folder and put first on PYTHONPATH, so the
same interpreter and libraries run it), and the ratio of their CPU times is printed: a change's
cost measured in the same run, on the same loaded machine.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import psutil

MB = 1024 * 1024
REPO = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def checkout(revision: str) -> Iterator[Path]:
    """The repository at `revision`, in a temporary git worktree removed afterwards."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "baseline"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "-q", str(folder),
                        revision], check=True)
        try:
            yield folder
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(folder)],
                           check=False)


def run_generate(n: int, workers: int, validate: bool, formats: str, code: Path | None = None) -> dict:
    """Run `santelab generate` in a child (by the code in `code` when given, else this code);
    return wall time, CPU time and peak RSS of its tree."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "pop"
        cmd = [
            sys.executable, "-m", "santelab", "generate", "--patients", str(n), "--seed", "1",
            "--out", str(out), "--format", formats, "--workers", str(workers),
        ]
        if validate:
            cmd.append("--validate")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        env = {**os.environ, "PYTHONPATH": str(code)} if code else None
        # cwd outside any checkout: `python -m` puts the working folder first on sys.path
        child = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=tmp)
        proc = psutil.Process(child.pid)
        peak_parent = peak_tree = 0
        while child.poll() is None:
            try:
                tree = [proc, *proc.children(recursive=True)]
                rss = [p.memory_info().rss for p in tree]
            except psutil.Error:
                continue
            peak_parent, peak_tree = max(peak_parent, rss[0]), max(peak_tree, sum(rss))
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        if child.returncode != 0:
            raise SystemExit(f"santelab generate failed (exit {child.returncode}): {cmd}")
        manifest = json.loads((out / "manifest.json").read_text())
        size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    resources = sum(manifest["resources"].values())
    return {
        "patients": n, "workers": workers, "validate": validate, "seconds": seconds,
        "patients_per_s": n / seconds, "resources": resources, "cpu_seconds": cpu,
        "resources_per_s": resources / seconds, "peak_parent_mb": peak_parent / MB,
        "peak_tree_mb": peak_tree / MB, "output_mb": size / MB,
    }


VALIDATION_RATE = """
import sys, time
lines = open(sys.argv[2], "rb").read().splitlines()
if sys.argv[1] == "santelab":
    from synthetic_data.fhir_models import model_class
else:  # the unmodified library
    from fhir.resources.R4B import get_fhir_model_class as model_class
kinds = [line.split(b'"', 4)[3].decode() for line in lines]
for kind in set(kinds):
    model_class(kind)
started = time.perf_counter()
for kind, line in zip(kinds, lines):
    model_class(kind).model_validate_json(line)
print(len(lines) / (time.perf_counter() - started))
"""


def validation_rate(side: str, sample: Path) -> float:
    """Resources/s of R4B model_validate_json on one core, in a fresh interpreter: models keep
    the validators they were built with, so each side needs its own process."""
    out = subprocess.run(
        [sys.executable, "-c", VALIDATION_RATE, side, str(sample)],
        capture_output=True, text=True, check=True,
    ).stdout
    return float(out)


def ceilings(n: int) -> dict:
    """Serialisation and validation speed on the resources of an n-patient population."""
    from synthetic_data import generate

    resources = list(generate(n=n, seed=1).fhir())
    figures = {"sample_resources": len(resources)}
    for name, dumps in (("json.dumps", json.dumps), ("orjson.dumps", orjson.dumps)):
        started = time.perf_counter()
        for item in resources:
            dumps(item)
        figures[f"{name}_per_s"] = len(resources) / (time.perf_counter() - started)
    with tempfile.TemporaryDirectory() as tmp:
        sample = Path(tmp) / "sample.ndjson"
        sample.write_bytes(b"\n".join(orjson.dumps(item) for item in resources[:20000]))
        for side in ("fhir.resources", "santelab"):
            figures[f"validate {side}"] = validation_rate(side, sample)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-validate", action="store_true",
                        help="skip the runs with full R4B validation")
    parser.add_argument("--baseline", metavar="REV",
                        help="also run each case with the code of this git revision")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        baseline = stack.enter_context(checkout(args.baseline)) if args.baseline else None
        report(args, baseline)


def _row(label: str, r: dict) -> str:
    return (
        f"{label:>8} {r['patients']:>9} {r['workers']:>7} {r['validate']!s:>8} {r['seconds']:>8.1f} "
        f"{r['patients_per_s']:>10.0f} {r['resources']:>10} {r['resources_per_s']:>8.0f} "
        f"{r['cpu_seconds']:>7.1f} {r['peak_parent_mb']:>9.0f} {r['peak_tree_mb']:>8.0f} "
        f"{r['output_mb']:>9.0f} {os.getloadavg()[0]:>5.1f}"
    )


def report(args: argparse.Namespace, baseline: Path | None) -> None:
    print(
        f"machine: {psutil.cpu_count()} cores, {psutil.virtual_memory().total / MB / 1024:.0f} GiB, "
        f"load average before: {os.getloadavg()[0]:.1f} (other work slows the wall-clock figures; "
        "'cpu s' is the CPU time of the whole process tree, which load does not inflate as much)"
    )
    ceiling = ceilings(100)
    print(
        f"ceiling on {ceiling['sample_resources']} resources (one core): "
        f"json.dumps {ceiling['json.dumps_per_s']:,.0f}/s, "
        f"orjson.dumps {ceiling['orjson.dumps_per_s']:,.0f}/s; R4B model_validate_json: "
        f"unmodified fhir.resources {ceiling['validate fhir.resources']:,.0f}/s, "
        f"through synthetic_data.fhir_models {ceiling['validate santelab']:,.0f}/s"
    )
    sizes = [int(n) for n in args.sizes.split(",")]
    runs = [(n, args.workers, validate, "ndjson") for n in sizes
            for validate in ((False,) if args.no_validate else (False, True))]
    runs.append((sizes[0], 1, False, "ndjson"))
    header = (
        f"{'code':>8} {'patients':>9} {'workers':>7} {'validate':>8} {'seconds':>8} {'patients/s':>10} "
        f"{'resources':>10} {'res/s':>8} {'cpu s':>7} {'parent MB':>9} {'tree MB':>8} "
        f"{'output MB':>9} {'load':>5}"
    )
    print(header, flush=True)
    for n, workers, validate, formats in runs:
        r = run_generate(n, workers, validate, formats)
        print(_row("this", r), flush=True)
        if baseline is not None:
            base = run_generate(n, workers, validate, formats, code=baseline)
            print(_row(args.baseline[:8], base), flush=True)
            print(f"{'':>8} this/baseline: cpu ×{r['cpu_seconds'] / base['cpu_seconds']:.2f}, "
                  f"wall ×{r['seconds'] / base['seconds']:.2f}, resources per patient "
                  f"{r['resources'] / n:.0f} vs {base['resources'] / n:.0f}", flush=True)


if __name__ == "__main__":
    main()
