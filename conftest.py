"""Configuration shared by every test collected in this checkout: the suite under tests/ and
the course notebooks nbval executes under modules/source/ (`make test`)."""

import os
import shutil
import tempfile

from tests.fixtures.personas import FACILITATOR_PASSWORD


def pytest_configure(config):
    """Every test process (and the kernels and servers it starts) keeps its sandbox data in a
    folder of its own: never the user's ~/.local/share/santelab, whose cached templates
    would hide a change of the seeded population."""
    config.santelab_data_dir = tempfile.mkdtemp(prefix="santelab-tests-")
    os.environ["SANTELAB_DATA_DIR"] = config.santelab_data_dir
    os.environ["SANTELAB_FACILITATOR_PASSWORD"] = FACILITATOR_PASSWORD


def pytest_unconfigure(config):
    shutil.rmtree(config.santelab_data_dir, ignore_errors=True)
