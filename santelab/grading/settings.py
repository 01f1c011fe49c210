"""Limits and isolation of `santelab grade`, as traitlets settings (like nbgrader's own).

Set them in the course's `nbgrader_config.py`, e.g. `c.GradingSettings.memory_bytes = 2 * GIB`;
the command-line options (--workers, --timeout) override them.
"""

from __future__ import annotations

import os
from textwrap import dedent

import psutil
from traitlets import Bool, Enum, Float, Integer, List, Tuple, Unicode
from traitlets.config import Configurable

MIB = 1024 * 1024
GIB = 1024 * MIB

# A worker's kernel often waits (for the grader to read its messages, for the next cell), so
# a core takes more than one; but each worker pays its own fork server's preloading (~2.9
# CPU-s) and memory. Grading 104 copies of d1 on 2 cores, 4 and 6 workers took the same time
# (105.2 / 107.2 s and 114.0 / 112.6 s in two runs), 6 with 1 GB more: two a core. Once the
# waits after each notebook were gone, 40 copies took 39.6-40.3 s with 3 workers, 38.6 s with
# 4 and 40.3 s with 5.
WORKERS_PER_CORE = 2
# Memory a worker holds: its fork server (~270 MB, ~225 private) and a kernel's own pages.
WORKER_MEMORY = 600 * MIB


def default_workers() -> int:
    """Two workers per core this process may use, no more than the available memory holds."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    room = psutil.virtual_memory().available // WORKER_MEMORY
    return max(1, min(WORKERS_PER_CORE * (cores or 1), room))


# What the course's set-up cells import: loaded once per worker, before any kernel is forked.
DEFAULT_PRELOAD = [
    "numpy", "pandas", "matplotlib", "matplotlib.pyplot", "matplotlib_inline.backend_inline",
    "fhir.resources", "yaml", "httpx", "sqlalchemy", "fastapi", "pydantic",
    "synthetic_data", "synthetic_data.fhir_models", "sandbox.client", "sandbox.app",
    "sandbox.runtime", "sandbox.template_cache", "sandbox.in_process", "santelab.course.student",
    "IPython", "ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.debugger", "zmq",
    "psutil", "anyio._backends._asyncio", "stack_data",
]

# Then called once, in that order ("module:function"): see santelab/grading/warmup.py.
DEFAULT_WARMUP = ["santelab.grading.warmup:population", "santelab.grading.warmup:sandbox_app",
                  "santelab.grading.warmup:tracebacks"]


class GradingSettings(Configurable):
    """How `santelab grade` runs submissions: workers, isolation, limits."""

    workers = Integer(
        None, allow_none=True, min=1,
        help="Notebooks graded at once (one kernel each); None: `default_workers()`.",
    ).tag(config=True)
    isolation = Enum(
        ["bubblewrap", "none"], "bubblewrap",
        help=dedent("""
        `bubblewrap`: each worker's kernels run in a bwrap sandbox (own mount, pid, network
        and IPC namespaces; only Python, the installed packages and an empty scratch tmpfs
        visible; no network but its own loopback) under a dedicated uid when run as root.
        `none`: kernels run as the grader itself (refused unless allow_unisolated).
        """),
    ).tag(config=True)
    allow_unisolated = Bool(
        False, help="Grade even when no isolation is available (trusted submissions only)."
    ).tag(config=True)
    grading_uid = Integer(
        64000, help="First uid kernels run as when the grader is root (one uid per worker)."
    ).tag(config=True)
    cell_timeout = Integer(
        None, allow_none=True,
        help="Seconds per cell; None keeps nbgrader's Execute.timeout.",
    ).tag(config=True)
    notebook_timeout = Float(
        900.0, help="Seconds a whole notebook may run before its kernel is killed."
    ).tag(config=True)
    memory_bytes = Integer(4 * GIB, help="Address space of a kernel process (RLIMIT_AS).").tag(
        config=True)
    max_processes = Integer(
        64, help="Processes a kernel's uid may own (RLIMIT_NPROC; needs root, see grading_uid)."
    ).tag(config=True)
    cpu_seconds = Integer(
        900, help=dedent("""
        CPU seconds each kernel process may use (RLIMIT_CPU; a process the kernel starts gets
        as much again). A backstop: the time limits interrupt a cell long before.
        """),
    ).tag(config=True)
    max_file_bytes = Integer(256 * MIB, help="Largest file a kernel may write.").tag(config=True)
    scratch_bytes = Integer(512 * MIB, help="Size of a worker's writable tmpfs.").tag(config=True)
    max_output_bytes = Integer(
        8 * MIB, help="Output a notebook may produce; beyond it, outputs are dropped."
    ).tag(config=True)
    max_message_bytes = Integer(
        64 * MIB, help="Largest single kernel message (a huge image) the grader accepts."
    ).tag(config=True)
    preload = List(
        Unicode(), DEFAULT_PRELOAD, help="Modules imported once per worker before forking kernels."
    ).tag(config=True)
    warmup = List(
        Unicode(), DEFAULT_WARMUP,
        help=dedent("""
        Functions (module:function) each worker calls once after preloading, before forking;
        each is given the fork server's configuration.
        """),
    ).tag(config=True)
    populations = List(
        Tuple(Integer(), Integer()), [],
        help=dedent("""
        Populations (n, seed) each worker builds before forking, so that its kernels unpickle
        their patients instead of rebuilding them. Empty: those the assignment's released
        notebooks load with literal arguments (`load_population(n=200, seed=2026)`).
        """),
    ).tag(config=True)
    passes_ahead = Integer(
        3, min=0, max=8,
        help=dedent("""
        Passes over each of those populations each worker unpickles ahead, before forking: a
        kernel's first walks of `population.patients` take them (its own untouched copies)
        instead of unpickling 200 patients each time. About 12 MB a pass of 200 patients,
        per worker; the course's notebooks walk a population up to three times.
        """),
    ).tag(config=True)
    zero_on_tampering = Bool(
        True, help="A notebook that tampers with the tests or the grader scores zero."
    ).tag(config=True)
