"""Shared test configuration. Feature fixtures live in tests/fixtures/ as pytest plugins."""

import os
import shutil
import tempfile

import pytest
from fixtures.chromium import CHROMIUM, CHROMIUM_ARGS
from fixtures.personas import FACILITATOR_PASSWORD

# Feature fixtures (tests/ is on sys.path: this conftest sits in a folder without __init__).
pytest_plugins = ["fixtures.postgres"]


def pytest_configure(config):
    """Every test process (and the kernels and servers it starts) keeps its sandbox data in a
    folder of its own: never the user's ~/.local/share/santelab, whose cached templates
    would hide a change of the seeded population."""
    config.santelab_data_dir = tempfile.mkdtemp(prefix="santelab-tests-")
    os.environ["SANTELAB_DATA_DIR"] = config.santelab_data_dir
    os.environ["SANTELAB_FACILITATOR_PASSWORD"] = FACILITATOR_PASSWORD


def pytest_unconfigure(config):
    shutil.rmtree(config.santelab_data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium driven by Playwright: never a downloaded browser."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}
