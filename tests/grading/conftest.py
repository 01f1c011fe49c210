"""Fixtures of the grading tests: a course copy per test, graded with the real commands."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import pytest

NBGRADER = [sys.executable, "-m", "nbgrader"]


def grade_args(**overrides) -> argparse.Namespace:
    """The options `santelab grade` would parse, with these overrides."""
    values = {"student": None, "workers": 2, "timeout": None, "force": False,
              "unisolated": False, "quiet": True, "scheduler": None}
    return argparse.Namespace(**{**values, **overrides})


@pytest.fixture(scope="session")
def bwrap():
    if not shutil.which("bwrap"):
        pytest.fail("bubblewrap absent : lancez .ci/system-deps (paquet Debian bubblewrap)")
    return Path(shutil.which("bwrap"))
