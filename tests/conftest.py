"""Shared test configuration. Feature fixtures live in tests/fixtures/ as pytest plugins."""

import pytest
from fixtures.chromium import CHROMIUM, CHROMIUM_ARGS

# Feature fixtures (tests/ is on sys.path: this conftest sits in a folder without __init__).
pytest_plugins = ["fixtures.postgres"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium driven by Playwright: never a downloaded browser."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}
