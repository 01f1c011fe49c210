"""Grading benchmark: notebooks/s of `santelab grade` against `nbgrader autograde`, same run.

Builds one class of the real course (half full solutions, half alternating wrong and blank
answers, from the course harness), grades one copy with `nbgrader autograde` and others with
`santelab grade` (with 4 workers, the figure the issue asks memory for, then with the
command's own default worker count where that differs), each in a child process whose whole process
tree's RSS is sampled (psutil), then diffs every cell's score of each against nbgrader's
gradebook. Also prints the time to the first graded submission (the first line of santelab's
journal) and, where a cgroup v1 `cpuacct` hierarchy is writable (as root here), the CPU
seconds of each whole tree per notebook: on a machine shared with others, wall time alone says
little. Each run's figures are printed as soon as it ends, and a santelab run is stopped once
it has taken longer than nbgrader's (at least 10 minutes): a grader that hangs is reported,
never waited for.

    .venv/bin/python benchmarks/grading.py                          # 104 submissions of d1
    .venv/bin/python benchmarks/grading.py --submissions 6 --workers 4   # a quick look
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from grading.classroom import _run, release, scores, submit  # noqa: E402

from santelab.grading.settings import default_workers  # noqa: E402

MB = 1024 * 1024


CPUACCT = Path("/sys/fs/cgroup/cpuacct")


def cpu_group(name: str) -> Path | None:
    """A fresh cpuacct cgroup (v1), or None where cgroups are not writable."""
    group = CPUACCT / name
    try:
        group.mkdir()
    except OSError:
        return None
    return group


def run_tree(command: list[str], cwd: Path, journal: Path | None = None,
             limit: float | None = None) -> dict:
    """Run `command`; wall time, peak RSS of its process tree, time to first journal line,
    CPU seconds of the whole tree (None without a cgroup). Past `limit` seconds the whole
    tree is killed (the result then says `timed_out`)."""
    group = cpu_group(f"bench-grading-{time.time_ns()}")
    if group is not None:  # the child joins the group before exec: every descendant counts
        command = ["sh", "-c", f'echo $$ > {group}/cgroup.procs && exec "$@"', "sh", *command]
    # Output to a file, not a pipe: nbgrader's log fills a pipe nobody reads until the end,
    # and the grader then waits, blocked on write (it did, and its time doubled).
    with tempfile.TemporaryFile() as log:
        result = _watch(command, cwd, journal, log, limit)
    cpu = None
    if group is not None:
        cpu = int((group / "cpuacct.usage").read_text()) / 1e9
        for _ in range(50):  # the last kernels may still be on their way out
            try:
                group.rmdir()
                break
            except OSError:
                time.sleep(0.1)
    return {**result, "cpu": cpu}


def _watch(command: list[str], cwd: Path, journal: Path | None, log,
           limit: float | None) -> dict:
    started, started_at = time.monotonic(), time.time()
    process = psutil.Popen(command, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
    peak, timed_out = 0, False
    while process.poll() is None:
        if limit is not None and time.monotonic() - started > limit:
            timed_out = True
            for child in [*process.children(recursive=True), process]:
                with contextlib.suppress(psutil.Error):
                    child.kill()
            process.wait()
            break
        try:
            tree = [process, *process.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.2)
    seconds = time.monotonic() - started
    first = None  # from the journal's own clock: a short run may end between two samples
    if journal is not None and journal.exists():
        times = [json.loads(line)["time"] for line in journal.read_text().splitlines() if line]
        first = min(times) - started_at if times else None
    log.seek(0)
    return {"seconds": seconds, "peak_mb": peak / MB, "first": first,
            "code": process.returncode, "timed_out": timed_out,
            "output": log.read().decode(errors="replace")}


def per_notebook(cpu: float | None, notebooks: int) -> float | None:
    return None if cpu is None else round(cpu / notebooks, 2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="d1_donnees_sante")
    parser.add_argument("--submissions", type=int, default=104)
    parser.add_argument("--workers", action="append", metavar="N|auto",
                        help="santelab's workers, one run each (default: 4, then the command's "
                             "own default, 'auto', if it differs)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        nb_course, ours = Path(tmp) / "nbgrader", Path(tmp) / "santelab"
        kinds = ["solution" if i % 2 == 0 else ("wrong" if i % 4 == 1 else "blank")
                 for i in range(args.submissions)]
        students = {f"etu{i:03d}": kind for i, kind in enumerate(kinds)}
        release(nb_course, args.assignment)
        submit(nb_course, args.assignment, students)
        ours.mkdir()
        shutil.copy(nb_course / "nbgrader_config.py", ours)
        for folder in ("source", "submitted"):
            shutil.copytree(nb_course / folder, ours / folder)
        assert _run(["generate_assignment", args.assignment], ours).returncode == 0
        notebooks = len(list((nb_course / "submitted").glob(f"*/{args.assignment}/*.ipynb")))
        print(f"{args.submissions} copies, {notebooks} notebooks ({args.assignment}), "
              f"{psutil.cpu_count()} cœurs")

        bin_dir = Path(sys.executable).parent
        reference = run_tree([str(bin_dir / "nbgrader"), "autograde", args.assignment],
                             nb_course)
        # Printed at once: a santelab run that fails must not take nbgrader's figures with it.
        print(f"nbgrader autograde : {notebooks} notebooks en {reference['seconds']:.1f} s "
              f"({notebooks / reference['seconds']:.3f} nb/s), code {reference['code']}",
              flush=True)
        if reference["code"] != 0:
            print(f"nbgrader autograde a échoué :\n{reference['output'][-3000:]}")
            return 1
        expected = scores(nb_course, args.assignment)
        rate_ref = notebooks / reference["seconds"]
        figures = {
            "nbgrader_nb_per_s": round(rate_ref, 3),
            "nbgrader_seconds": round(reference["seconds"], 1),
            "nbgrader_peak_mb": round(reference["peak_mb"]),
            "nbgrader_cpu_s_per_notebook": per_notebook(reference["cpu"], notebooks),
            "cells_compared": len(expected),
            "santelab": [],
        }
        failed = False
        runs = args.workers or (["4"] if default_workers() == 4 else ["4", "auto"])
        for workers in runs:
            course = Path(tmp) / f"santelab-{workers}"
            shutil.copytree(ours, course)
            journal = course / ".santelab-grade" / "journal.jsonl"
            option = [] if workers == "auto" else ["--workers", workers]
            label = "postes par défaut" if workers == "auto" else f"{workers} postes"
            santelab = run_tree([sys.executable, "-m", "santelab", "grade", args.assignment,
                                 "--quiet", *option], course,
                                journal=journal, limit=max(600.0, reference["seconds"]))
            if santelab["timed_out"]:
                done = len(journal.read_text().splitlines()) if journal.exists() else 0
                print(f"santelab grade ({label}) arrêté après {santelab['seconds']:.0f} s (plus "
                      f"lent que nbgrader) : {done} copie(s) sur {args.submissions} notées")
                return 1
            if santelab["code"] != 0:
                print(f"santelab grade ({label}) a échoué :\n{santelab['output'][-3000:]}")
                return 1
            used = re.search(r"exécution : (\d+) poste", santelab["output"])
            found = scores(course, args.assignment)
            differences = {k for k in expected.keys() | found.keys()
                           if expected.get(k) != found.get(k)}
            failed |= bool(differences)
            rate = notebooks / santelab["seconds"]
            figures["santelab"].append({
                "workers": int(used.group(1)) if used else workers,
                "chosen_by": "défaut" if workers == "auto" else "--workers",
                "nb_per_s": round(rate, 3),
                "speedup": round(rate / rate_ref, 2),
                "seconds": round(santelab["seconds"], 1),
                "first_submission_s": (None if santelab["first"] is None
                                       else round(santelab["first"], 1)),
                "peak_mb": round(santelab["peak_mb"]),
                "cpu_s_per_notebook": per_notebook(santelab["cpu"], notebooks),
                "cells_different": len(differences),
            })
            print(f"santelab grade ({label}) : {notebooks} notebooks en "
                  f"{santelab['seconds']:.1f} s ({rate:.3f} nb/s, ×{rate / rate_ref:.2f}), "
                  f"{len(differences)} cellule(s) différente(s)", flush=True)
        print(json.dumps(figures, indent=2, ensure_ascii=False))
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
