"""The student's own copy of the course: released notebooks only, and never overwritten.

`santelab lab` opens JupyterLab on a workspace outside the repository, filled from the
*released* notebooks (nbgrader `generate_assignment`: solutions and hidden tests removed), so
that nothing a student can open holds an answer, and a `git pull` never touches her work.

The release is built once per version of the course (a digest of its sources) in a private
copy of the course under the data folder. A manifest in the workspace remembers which release
each file was copied from: a file the student never changed follows newer releases; a file she
changed is left alone and the newer release is put beside it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from santelab.course.sources import materialize, source_files
from synthetic_data.errors import SantelabError

MANIFEST = ".santelab-espace.json"
NEWER = "nouvelle version"
COURSE_FILES = ("nbgrader_config.py", "competencies.yaml")


def course_digest(course_root: Path) -> str:
    """Changes whenever a source notebook (or the course configuration) changes."""
    digest = hashlib.sha256()
    paths = [p for _, p in source_files(course_root)] + [course_root / f for f in COURSE_FILES]
    for path in paths:
        if path.is_file():
            digest.update(path.relative_to(course_root).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def assignments(course_root: Path) -> list[str]:
    return sorted(p.name for p in (course_root / "source").iterdir() if p.is_dir())


def released_course(course_root: Path, cache: Path,
                    progress: Callable[[str], None] = print) -> Path:
    """The folder of released assignments of this course version (built when missing)."""
    target = cache / f"release-{course_digest(course_root)}"
    if target.is_dir():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache, prefix=".construction-") as scratch:
        work = Path(scratch)
        for name in COURSE_FILES:
            shutil.copy(course_root / name, work / name)
        shutil.copytree(course_root / "source", work / "source",
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "*.ipynb"))
        materialize(work / "source")
        _generate(work, assignments(course_root), progress)
        try:
            os.replace(work / "release", target)  # atomic: a concurrent builder loses nothing
        except OSError:
            if not target.is_dir():
                raise
    for stale in cache.glob("release-*"):
        if stale != target:
            shutil.rmtree(stale, ignore_errors=True)
    return target


def _generate(course: Path, names: list[str], progress: Callable[[str], None]) -> None:
    """nbgrader's `generate_assignment`, in this process: one start-up for every assignment.

    Run as `nbgrader generate_assignment --no-db`: the gradebook of this private copy is thrown
    away with it, and filling it cost four fifths of the release (a SQLite commit per cell and
    an `alembic` process); the released notebooks are the same byte for byte.
    """
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    config.CourseDirectory.root = str(course)
    config.SaveCells.enabled = False  # nbgrader's --no-db flag
    config.GenerateAssignment.no_database = True
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    for number, name in enumerate(names, 1):
        progress(f"Préparation des versions étudiantes : {name} ({number}/{len(names)})")
        result = api.generate_assignment(name, force=True)
        if not result["success"]:
            log = f"{result.get('log', '')}\n{result.get('error', '')}"
            causes = re.findall(r"^\s*(\w+(?:Error|Exception): .*)$", log, re.MULTILINE)
            raise SantelabError(f"préparation de la version étudiante de {name} impossible : "
                                f"{causes[0] if causes else 'voir le journal de nbgrader'}")


@dataclass
class WorkspaceReport:
    """What filling the workspace did, file by file (paths relative to the workspace)."""

    copied: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    offered: list[str] = field(default_factory=list)  # newer release put beside the student's
    kept: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"{len(self.copied)} copié(s)", f"{len(self.updated)} mis à jour",
                 f"{len(self.kept)} inchangé(s)"]
        lines = [f"Espace étudiant : {', '.join(parts)}."]
        lines += [f"  Nouvelle version disponible à côté de votre travail : {p}"
                  for p in self.offered]
        return "\n".join(lines)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def beside(path: Path) -> Path:
    """Where a newer release of a file the student changed is offered."""
    return path.with_name(f"{path.stem} ({NEWER}){path.suffix}")


def fill_workspace(release: Path, workspace: Path) -> WorkspaceReport:
    """Copy the released files into `workspace` without ever overwriting the student's work."""
    try:
        workspace.mkdir(parents=True, exist_ok=True)
        probe = workspace / MANIFEST
        manifest = json.loads(probe.read_text(encoding="utf-8")) if probe.exists() else {}
        report = WorkspaceReport()
        for source in sorted(p for p in release.rglob("*") if p.is_file()):
            relative = source.relative_to(release).as_posix()
            target = workspace / relative
            released = _sha(source)
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
                report.copied.append(relative)
            elif _sha(target) == released:
                report.kept.append(relative)
            elif _sha(target) == manifest.get(relative):  # untouched by the student
                shutil.copyfile(source, target)
                report.updated.append(relative)
            else:  # her work: never overwritten
                report.kept.append(relative)
                if manifest.get(relative) != released:
                    shutil.copyfile(source, beside(target))
                    report.offered.append(beside(target).relative_to(workspace).as_posix())
                continue
            manifest[relative] = released
        probe.write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
    except OSError as exc:
        raise SantelabError(f"espace étudiant {workspace} non accessible en écriture "
                            f"({exc.strerror}) : choisissez un autre dossier avec --workspace"
                            ) from None
    return report
