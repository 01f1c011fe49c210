"""`santelab generate` through a real subprocess: round trip, French one-line errors."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from synthetic_data.fhir_models import model_class

SANTELAB = [sys.executable, "-m", "santelab"]


def santelab(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*SANTELAB, *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def assert_one_french_error(result: subprocess.CompletedProcess, fragment: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "erreur" in lines[0] and fragment in lines[0], lines[0]


def test_round_trip_with_every_format(tmp_path) -> None:
    out = tmp_path / "pop"
    result = santelab(
        "generate", "--patients", "15", "--seed", "4", "--years", "3", "--out", str(out),
        "--format", "ndjson,bundle,csv", "--workers", "2", "--validate",
    )
    assert result.returncode == 0, result.stderr
    assert "Population générée : 15 patients (graine 4" in result.stdout
    assert f"Dossier : {out.resolve()}" in result.stdout
    manifest = json.loads((out / "manifest.json").read_text())
    total = sum(manifest["resources"].values())
    assert f"{total:,}".replace(",", "\u202f") in result.stdout
    patients = pd.read_json(out / "Patient.ndjson", lines=True)
    assert len(patients) == 15
    for line in (out / "Encounter.ndjson").read_text().splitlines():
        model_class("Encounter").model_validate_json(line)
    assert len(list((out / "bundles").glob("pat-*.json"))) == 15
    assert len(pd.read_csv(out / "ground_truth.csv")) == 15
    assert not list(tmp_path.glob(".*partial*"))


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--patients", "5", "--out", "X", "--colour"], "option(s) inconnue(s) : --colour"),
        (["--patients", "0", "--out", "X"], "--patients doit être un entier positif"),
        (["--patients", "-3", "--out", "X"], "--patients doit être un entier positif"),
        (["--patients", "dix", "--out", "X"], "nombre entier attendu"),
        (["--out", "X"], "arguments obligatoires manquants"),
        (["--patients", "5", "--out", "X", "--format", "xml"], "format inconnu : xml"),
        (["--patients", "5", "--out", "X", "--workers", "0"], "--workers"),
        (["--patients", "5", "--out", "X", "--pathways", "nulle-part"], "dossier de parcours"),
    ],
)
def test_bad_input_is_one_french_line(tmp_path, args, fragment) -> None:
    args = [str(tmp_path / "out") if a == "X" else a for a in args]
    assert_one_french_error(santelab("generate", *args), fragment)
    assert not (tmp_path / "out").exists()


def test_output_under_a_file_is_refused(tmp_path) -> None:
    blocker = tmp_path / "fichier.txt"
    blocker.write_text("x")
    result = santelab("generate", "-n", "3", "--out", str(blocker / "pop"))
    assert_one_french_error(result, "n'existe pas")


def test_unwritable_output_folder_is_refused(tmp_path) -> None:
    # /proc refuses new folders even to root, where permission bits would not.
    result = santelab("generate", "-n", "3", "--out", "/proc/santelab-population")
    assert_one_french_error(result, "impossible")


def test_non_empty_output_folder_needs_force(tmp_path) -> None:
    out = tmp_path / "pop"
    out.mkdir()
    (out / "travail.ipynb").write_text("{}")
    result = santelab("generate", "-n", "3", "--years", "1", "--out", str(out))
    assert_one_french_error(result, "--force")
    assert (out / "travail.ipynb").exists()
    forced = santelab("generate", "-n", "3", "--years", "1", "--out", str(out), "--force")
    assert forced.returncode == 0, forced.stderr
    assert not (out / "travail.ipynb").exists() and (out / "manifest.json").exists()


def test_malformed_pathway_file_is_one_french_line(tmp_path) -> None:
    pathways = tmp_path / "parcours"
    pathways.mkdir()
    (pathways / "casse.yaml").write_text("name: casse\nstates:\n  Initial:\n    type: Bizarre\n")
    result = santelab("generate", "-n", "3", "--out", str(tmp_path / "pop"), "--pathways",
                      str(pathways))
    assert_one_french_error(result, "casse")
    assert not (tmp_path / "pop").exists()


@pytest.mark.parametrize("moment", ["starting", "writing"])
def test_ctrl_c_leaves_no_output(tmp_path, moment) -> None:
    """Ctrl-C while the workers start, or once patients are being written."""
    out = tmp_path / "pop"
    child = subprocess.Popen(
        [*SANTELAB, "generate", "-n", "20000", "--out", str(out), "--workers", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # As from a terminal: pytest-xdist workers ignore SIGINT, and children inherit that.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )

    def reached() -> bool:
        files = list(tmp_path.glob(".pop.partial-*/Patient.ndjson"))
        return bool(files) and (moment == "starting" or files[0].stat().st_size > 0)

    deadline = time.monotonic() + 120
    while not reached():
        assert child.poll() is None and time.monotonic() < deadline, child.stderr.read()
        time.sleep(0.01)
    child.send_signal(signal.SIGINT)
    _, stderr = child.communicate(timeout=120)
    assert child.returncode == 130
    assert "interrompu" in stderr and "Traceback" not in stderr
    assert list(tmp_path.iterdir()) == []


def test_help_is_french() -> None:
    result = santelab("generate", "--help")
    assert result.returncode == 0
    assert "nombre de patients" in result.stdout


@pytest.fixture(autouse=True)
def _no_leftover(tmp_path) -> None:
    yield
    assert not list(Path(tmp_path).glob(".*partial*")), "temporary folder left behind"
