"""`santelab generate`: build a synthetic population and export it to a folder."""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from pathlib import Path

from tqdm import tqdm

from synthetic_data.errors import SantelabError
from synthetic_data.export.ndjson import RESOURCE_TYPES
from synthetic_data.export.writer import FORMATS, WriteResult, check_target, parse_formats
from synthetic_data.population import DEFAULT_FORMATS, generate


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "generate",
        help="générer une population synthétique française (FHIR R4, NDJSON, CSV)",
        description=(
            "Génère une population synthétique déterministe (identités, professionnels, "
            "parcours de soins) et l'exporte dans un dossier."
        ),
    )
    parser.add_argument(
        "--patients", "-n", type=int, required=True, metavar="N", help="nombre de patients"
    )
    parser.add_argument("--seed", type=int, default=42, help="graine (défaut : 42)")
    parser.add_argument(
        "--out", type=Path, required=True, metavar="DOSSIER", help="dossier de sortie (créé)"
    )
    parser.add_argument(
        "--format",
        default=",".join(DEFAULT_FORMATS),
        metavar="FORMATS",
        help=f"formats séparés par des virgules parmi {', '.join(FORMATS)} "
        f"(défaut : {','.join(DEFAULT_FORMATS)})",
    )
    parser.add_argument(
        "--validate",
        action="store_true",
        help="valider chaque ressource avec les modèles fhir.resources R4B (environ 3 fois plus long)",
    )
    parser.add_argument(
        "--years", type=int, default=10, help="années d'historique de soins (défaut : 10)"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=min(2, os.cpu_count() or 1),
        help="processus de génération en parallèle (défaut : 2)",
    )
    parser.add_argument(
        "--pathways", type=Path, metavar="DOSSIER", help="dossier de parcours de soins (YAML)"
    )
    parser.add_argument(
        "--force", action="store_true", help="remplacer le dossier de sortie s'il n'est pas vide"
    )
    parser.set_defaults(handler=run)


def _check(args: argparse.Namespace) -> tuple[str, ...]:
    if args.patients <= 0:
        raise SantelabError(f"--patients doit être un entier positif (reçu : {args.patients}).")
    if args.years < 0:
        raise SantelabError(f"--years doit être positif ou nul (reçu : {args.years}).")
    if args.workers < 1:
        raise SantelabError(f"--workers doit valoir au moins 1 (reçu : {args.workers}).")
    if args.pathways is not None and not args.pathways.is_dir():
        raise SantelabError(f"dossier de parcours introuvable : {args.pathways}")
    formats = parse_formats(args.format)
    check_target(args.out, args.force)
    return formats


def _number(value: float) -> str:
    """French thousands separator (narrow no-break space)."""
    return f"{value:,}".replace(",", "\u202f")


def summary(result: WriteResult, seconds: float, years: int, seed: int) -> str:
    lines = [
        f"Population générée : {_number(result.patients)} patients "
        f"(graine {seed}, {years} ans d'historique)",
        "Ressources FHIR :",
    ]
    for kind in RESOURCE_TYPES:
        lines.append(f"  {kind:<18} {_number(result.counts[kind]):>12}")
    lines.append(f"  {'Total':<18} {_number(result.total):>12}")
    rate = result.patients / seconds if seconds > 0 else 0.0
    lines.append(f"Durée : {seconds:.1f} s ({rate:.0f} patients/s)".replace(".", ","))
    lines.append(f"Dossier : {result.folder.resolve()}")
    return "\n".join(lines)


class _Progress:
    """A tqdm bar on stderr, opened at the first finished patient (early errors stay one line)."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.bar: tqdm | None = None

    def __call__(self, done: int) -> None:
        if self.bar is None:
            self.bar = tqdm(total=self.total, unit=" patients", file=sys.stderr, mininterval=0.5)
        self.bar.update(done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def run(args: argparse.Namespace) -> int:
    formats = _check(args)
    started = time.perf_counter()
    population = generate(
        args.patients, seed=args.seed, years=args.years, pathways_dir=args.pathways
    )
    # What generate() built (directory, pathways, referentials, modules) lasts until the
    # command ends: frozen, it is not walked by every full collection the patients trigger.
    gc.freeze()
    bar = _Progress(args.patients)
    try:
        result = population.write(
            args.out,
            formats=formats,
            validate=args.validate,
            progress=bar,
            workers=args.workers,
            force=args.force,
        )
    finally:
        bar.close()
    print(summary(result, time.perf_counter() - started, args.years, args.seed))
    return 0
