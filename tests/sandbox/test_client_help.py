"""What a student reads with `help(s.dmp)`: every public class and method of the clients she
calls (each registry entry's `s.<service>`, `connect`, the typed errors) says what it does, in
French (rule 7: users read French)."""

from __future__ import annotations

import inspect
import re

import pytest

import sandbox.client as client
from sandbox.client import errors
from sandbox.service_registry import SERVICES

FRENCH = {"le", "la", "les", "de", "du", "des", "un", "une", "et", "ou", "pour", "par", "est",
          "au", "aux", "sa", "son", "ses", "qui", "que", "en", "sur", "dans", "avec", "sans",
          "ce", "cette", "ces", "l", "d", "n", "qu", "s", "c"}  # elisions: l'INS, d'un, n'a
ENGLISH = {"the", "of", "and", "is", "to", "for", "with", "its", "this", "that", "from", "an",
           "or", "by", "on", "in", "one", "every"}


def _documented(cls: type) -> list[tuple[str, object]]:
    """The class and its public methods and properties, as `help()` lists them."""
    found: list[tuple[str, object]] = [(cls.__qualname__, cls)]
    for name, member in vars(cls).items():
        if name.startswith("_"):
            continue
        target = member.fget if isinstance(member, property) else member
        if isinstance(target, staticmethod | classmethod):
            target = target.__func__
        if inspect.isfunction(target):
            found.append((f"{cls.__qualname__}.{name}", target))
    return found


def _student_api() -> list[tuple[str, object]]:
    classes = [service.load_client() for service in SERVICES if service.client]
    module_classes = {m for c in classes for m in vars(inspect.getmodule(c)).values()
                      if inspect.isclass(m) and m.__module__ == inspect.getmodule(c).__name__
                      and not m.__name__.startswith("_")}
    errors_classes = [getattr(errors, name) for name in errors.__all__
                      if inspect.isclass(getattr(errors, name))]
    items = [("connect", client.connect), *_documented(client.Connection)]
    for cls in sorted({*classes, *module_classes, *errors_classes}, key=lambda c: c.__qualname__):
        items.extend(_documented(cls))
    return items


def _words(text: str) -> list[str]:
    prose = re.sub(r"`[^`]*`|«[^»]*»|\"[^\"]*\"", " ", text)  # code and quotations aside
    return re.findall(r"[a-zà-ÿ]+", prose.lower())


@pytest.mark.parametrize(("name", "obj"), _student_api(), ids=lambda x: x if isinstance(x, str) else "")
def test_help_is_in_french(name: str, obj: object):
    doc = inspect.getdoc(obj)
    assert doc, f"{name} : pas de docstring, help() n'explique rien"
    words = _words(doc)
    french = sum(w in FRENCH for w in words)
    english = sum(w in ENGLISH for w in words)
    assert french > english, f"{name} : docstring en anglais ? {doc!r}"


def test_the_check_tells_english_from_french():
    english = "Send a message; its id and recipients. Refusals raise typed errors in French."
    french = "Envoyer un message ; rend son identifiant et ses destinataires."
    assert sum(w in ENGLISH for w in _words(english)) > sum(w in FRENCH for w in _words(english))
    assert sum(w in FRENCH for w in _words(french)) > sum(w in ENGLISH for w in _words(french))
