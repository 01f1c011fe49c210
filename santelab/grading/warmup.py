"""First-use work of the course's set-up cells, done once by the fork server before it forks.

Importing a module is not all a set-up cell pays for the first time: generating the population
first loads its reference tables (communes, names, care pathways), and the first sandbox app
builds its routes and models. The fork server does both on throwaway data, so every kernel it
forks finds those read-only tables and caches filled. Nothing of a submission's state is shared:
each kernel still generates its own population and gets its own copy of the sandbox.
"""

from __future__ import annotations

import tempfile
from pathlib import Path


def population() -> None:
    import synthetic_data

    synthetic_data.generate(n=1, seed=0)


def sandbox_app() -> None:
    from sandbox.app import create_app
    from sandbox.runtime import Sandbox
    from sandbox.settings import Settings
    from sandbox.template_cache import copy_template

    settings = Settings()
    with tempfile.TemporaryDirectory(prefix="warmup-") as folder:
        db = Path(folder) / "warmup.sqlite"
        copy_template(settings, settings.tenant, db)
        sandbox = Sandbox.open(settings.model_copy(update={"db": f"sqlite:///{db}"}))
        try:
            create_app(sandbox)
        finally:
            sandbox.store.dispose()
