"""Shared test configuration. Feature fixtures live in tests/fixtures/ as pytest plugins."""

import pytest

# Feature fixtures (tests/ is on sys.path: this conftest sits in a folder without __init__).
pytest_plugins = ["fixtures.postgres"]

# Debian chromium driven by Playwright: never a downloaded browser (see shared recipes).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}
