"""Pathway engine benchmark: histories per second on one core, resources per patient, and
each pathway's prevalence figure next to its target.

The engine runs alone (stub context, bare patients from the French age pyramid), so the
figures are the engine's share of `santelab generate`, not the whole export.

    .venv/bin/python benchmarks/pathway_engine.py                # 10,000 patients
    .venv/bin/python benchmarks/pathway_engine.py --patients 2000
"""

from __future__ import annotations

import argparse
import random
import time

from synthetic_data.pathways import PathwayEngine
from synthetic_data.pathways.calibration import StubContext, measure, pyramid_sample

KINDS = ("encounters", "conditions", "observations", "medications", "immunizations", "documents")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    started = time.perf_counter()
    engine = PathwayEngine.load()
    load_s = time.perf_counter() - started
    patients = pyramid_sample(args.patients, args.seed)
    ctx = StubContext()
    started, cpu_started = time.perf_counter(), time.process_time()
    for patient in patients:
        engine.run(patient, random.Random(f"{args.seed}:{patient.id}"), ctx)
    run_s, cpu_s = time.perf_counter() - started, time.process_time() - cpu_started

    totals = {kind: sum(len(getattr(p, kind)) for p in patients) for kind in KINDS}
    per_patient = sum(totals.values()) / len(patients)
    print(f"load+validate {len(engine.pathways)} pathways: {load_s * 1000:.0f} ms")
    print(f"{len(patients)} patients in {run_s:.1f} s wall, {cpu_s:.1f} s CPU: "
          f"{len(patients) / cpu_s:.0f} patients per CPU-second (one core; wall time "
          f"{len(patients) / run_s:.0f}/s depends on the machine's load)")
    print(f"resources per patient: {per_patient:.1f} "
          + ", ".join(f"{k} {v / len(patients):.1f}" for k, v in totals.items()))
    for pathway in engine.pathways:
        if pathway.prevalence is not None:
            target = pathway.prevalence
            print(f"  {pathway.name:<14} {measure(patients, target):.4f}  (target {target.target} "
                  f"± {target.tolerance}, {target.population}, {target.measure})")


if __name__ == "__main__":
    main()
