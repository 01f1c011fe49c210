"""The `santelab` command: one parser, sub-commands registered by each package.

Each package owns its commands through a `register(subparsers)` function; this module only
wires them, translates argparse's English messages and turns user errors into one French line.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from collections.abc import Sequence

from synthetic_data.errors import SantelabError

# Packages that contribute sub-commands, in the order shown by --help: (its commands, module,
# optional dependency group it needs; None for the base install).
COMMAND_MODULES = (
    (("generate",), "synthetic_data.cli", None),
    (("sandbox",), "sandbox.cli", "sandbox"),
    (("drill",), "sandbox.drills.cli", "sandbox"),
    (("course",), "santelab.course", "lab"),
    (("lab",), "santelab.lab", "lab"),
    (("grade", "report"), "santelab.grading", "lab"),
)
OWN_PACKAGES = ("synthetic_data", "sandbox", "santelab")

_TRANSLATIONS = (
    (r"unrecognized arguments: (.*)", r"option(s) inconnue(s) : \1"),
    (r"the following arguments are required: (.*)", r"arguments obligatoires manquants : \1"),
    (r"argument (\S+): invalid int value: (.*)", r"option \1 : nombre entier attendu, reçu \2"),
    (r"argument (\S+): invalid float value: (.*)", r"option \1 : nombre attendu, reçu \2"),
    (r"argument (\S+): invalid choice: (.*?) \(choose from (.*)\)",
     r"option \1 : choix invalide \2 (valeurs possibles : \3)"),
    (r"argument (\S+): expected one argument", r"option \1 : une valeur est attendue"),
    (r"argument (\S+): (.*)", r"option \1 : \2"),
)


def translate(message: str) -> str:
    """Give argparse's English error message in French (unknown ones pass through)."""
    for pattern, replacement in _TRANSLATIONS:
        if re.fullmatch(pattern, message):
            return re.sub(pattern, replacement, message)
    return message


class FrenchArgumentParser(argparse.ArgumentParser):
    """ArgumentParser whose errors are one French line and exit code 2."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("add_help", False)
        super().__init__(*args, **kwargs)
        self._positionals.title = "arguments"
        self._optionals.title = "options"
        self.add_argument("-h", "--help", action="help", help="afficher cette aide et quitter")

    def format_usage(self) -> str:
        return super().format_usage().replace("usage: ", "utilisation : ", 1)

    def format_help(self) -> str:
        return super().format_help().replace("usage: ", "utilisation : ", 1)

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog} : erreur : {translate(message)}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = FrenchArgumentParser(
        prog="santelab",
        description="Bac à sable et cours du numérique en santé (données synthétiques).",
    )
    subparsers = parser.add_subparsers(
        dest="command", metavar="COMMANDE", parser_class=FrenchArgumentParser
    )
    subparsers.required = True
    for commands, name, group in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if group is None or _is_own(exc.name):
                raise
            for command in commands:
                _register_missing(subparsers, command, group)
            continue
        module.register(subparsers)
    return parser


def _is_own(module: str | None) -> bool:
    return (module or "").split(".")[0] in OWN_PACKAGES


def _missing_group(group: str) -> SantelabError:
    return SantelabError(f"cette commande demande le groupe de dépendances « {group} », absent de "
                         f"cette installation : pip install 'santelab[{group}]' (ou make lab).")


def _register_missing(subparsers: argparse._SubParsersAction, command: str, group: str) -> None:
    """A command whose dependency group is not installed still shows, and says what to install."""
    parser = subparsers.add_parser(command, help=f"(à installer : santelab[{group}])")
    parser.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)

    def refuse(_args: argparse.Namespace) -> int:
        raise _missing_group(group)

    parser.set_defaults(handler=refuse)


def _report(error: SantelabError) -> int:
    print(f"santelab : erreur : {error}", file=sys.stderr)
    return error.exit_code


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except ModuleNotFoundError as exc:
        if _is_own(exc.name):
            raise
        return _report(_missing_group("all"))
    except SantelabError as exc:
        return _report(exc)
    except KeyboardInterrupt:
        print("santelab : interrompu.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
