"""The house's layers: imports go downward only, and each layer installs only what it needs.

`synthetic_data` ← `sandbox` ← `santelab`: the contracts live in pyproject.toml
(`[tool.importlinter]`) and are checked here with import-linter on the real tree; a planted
upward import shows that the same contracts do fail. Generating a population must work with the
base install alone: the optional groups' packages are made unimportable in a child interpreter.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import tomllib
from importlib.metadata import requires
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
# Top-level modules of the optional groups (sandbox, lab, data-build).
OPTIONAL = ("fastapi", "uvicorn", "sqlalchemy", "psycopg", "httpx", "aiosmtpd", "twisted",
            "jupyterlab", "jupyter_server", "notebook", "nbgrader", "nbformat", "nbclient",
            "ipykernel", "matplotlib", "faker", "pydantic_settings", "segno", "trustme")


def lint_imports(cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=cwd, capture_output=True,
                          text=True, env=env, timeout=300)


def test_the_tree_keeps_its_contracts():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout and "KEPT" in result.stdout


def test_the_contracts_catch_an_upward_import(tmp_path):
    """The pyproject contracts, run on a tiny tree of the modules they name, where the bottom
    layer imports the top and the client imports the web framework."""
    pyproject = (ROOT / "pyproject.toml").read_text()
    config = tomllib.loads(pyproject)["tool"]["importlinter"]
    named = {"synthetic_data", "sandbox", "santelab", "sandbox.in_process"}
    for contract in config["contracts"]:
        named |= {m for key in ("source_modules", "forbidden_modules") for m in contract.get(key, ())
                  if m.split(".")[0] in config["root_packages"]}
    planted = {"synthetic_data": "import santelab\n",
               "sandbox.client": "import fastapi\nimport sandbox.in_process\n"}
    for module in named:
        path = tmp_path.joinpath(*module.split("."))
        path.mkdir(parents=True, exist_ok=True)
        (path / "__init__.py").write_text(planted.get(module, ""))
    contracts = pyproject[pyproject.index("[tool.importlinter]"):pyproject.index("[tool.ruff]")]
    (tmp_path / "pyproject.toml").write_text(contracts)
    result = lint_imports(tmp_path, env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 1, result.stdout + result.stderr
    assert "synthetic_data -> santelab" in result.stdout
    assert "sandbox.client is not allowed to import fastapi" in result.stdout


def test_base_requirements_exclude_the_optional_groups():
    base = [r for r in requires("santelab") if "extra ==" not in r]
    names = {r.split(";")[0].split("[")[0].split("=")[0].split(">")[0].split("<")[0].strip()
             .lower().replace("_", "-") for r in base}
    optional = {m.replace("_", "-") for m in OPTIONAL} | {"sqlalchemy", "pydantic-settings"}
    assert names and not names & optional, names & optional


BLOCKER = textwrap.dedent("""\
    import sys
    BLOCKED = set(sys.argv[1].split(","))

    class Blocker:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, Blocker())
    from santelab.cli import main
    sys.exit(main(sys.argv[2:]))
    """)


def run_without_optional_groups(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", BLOCKER, ",".join(OPTIONAL), *argv], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_a_population_needs_only_the_base_install(tmp_path):
    out = tmp_path / "pop"
    result = run_without_optional_groups("generate", "--patients", "5", "--years", "1",
                                         "--workers", "1", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert (out / "fhir").is_dir() or any(out.iterdir())


def test_a_command_of_a_missing_group_says_what_to_install():
    result = run_without_optional_groups("sandbox", "up", "--port", "1")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "santelab : erreur : cette commande demande le groupe de dépendances « sandbox », absent "
        "de cette installation : pip install 'santelab[sandbox]' (ou make lab).")
