"""First-use work of the course's set-up cells, done once by the fork server before it forks.

Importing a module is not all a set-up cell pays for the first time: generating the population
first loads its reference tables (communes, names, care pathways), and the first sandbox app
builds its routes and models. The fork server does both, so every kernel it forks finds those
read-only tables and caches filled.

It also builds the very populations the assignment's notebooks load (`load_population(n=…,
seed=…)`, found in their code by `populations_loaded`, so the course names them and not a list
kept here), walking their patients once: each keeps a snapshot of its built patients
(synthetic_data.population), which a forked kernel inherits copy-on-write and unpickles on
each pass instead of rebuilding 200 care histories, most of a graded notebook's CPU; a few
passes are even unpickled ahead, here, and become each kernel's first ones (the setting
`passes_ahead`). Nothing of a submission's state is shared: a kernel gets fresh patients on
every pass (its own copies of passes no one has touched, then unpickled ones) and its own copy
of the sandbox; the snapshot itself lives in the server, out of its reach.
"""

from __future__ import annotations

import ast
import contextlib
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path


def population(config: dict) -> None:
    import synthetic_data
    from synthetic_data.population import SNAPSHOT_MAX_PATIENTS, unpickle_ahead

    synthetic_data.generate(n=1, seed=0)
    for n, seed in config.get("populations", []):
        if n <= SNAPSHOT_MAX_PATIENTS:  # a larger one streams: a pass would be wasted
            built = synthetic_data.generate(n=n, seed=seed)
            for _ in built.patients:
                pass
            unpickle_ahead(built, config.get("passes_ahead", 1))  # kernels' first passes


def sandbox_app(config: dict) -> None:
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


def tracebacks(config: dict) -> None:
    """Format one traceback as a kernel does for a failing cell: IPython looks up each frame's
    module with `inspect.getmodule`, whose first call indexes the file of every loaded module
    (thousands, once the course's are imported: 0.1 s a kernel); later calls reuse the index.

    The index never holds a cell's file, though (a kernel compiles cells under names of files
    that do not exist), so each lookup of a cell's frame walks all of `sys.modules` again, to
    find nothing: several lookups a frame, a few milliseconds each, which made formatting the
    tracebacks of a blank copy's failing cells the largest cost of grading it. Kernels forked
    from here remember those misses (`remember_module_misses`), and highlight a frame's code
    with a lexer whose rules are compiled already (`reuse_frame_lexer`)."""
    from IPython.core.ultratb import VerboseTB

    remember_module_misses()
    reuse_frame_lexer()
    try:
        exec(compile("1 / 0", "<warm-up cell>", "exec"), {})
    except ZeroDivisionError:
        VerboseTB().structured_traceback(*sys.exc_info())


def remember_module_misses() -> None:
    """Make `inspect.getmodule` answer None at once for a frame, traceback or code object whose
    file no module has, when every module of `sys.modules` was already indexed: the answer its
    walk would give again. The walk is redone whenever `sys.modules` changed size since the
    last one (an import may have brought the module the file belongs to)."""
    import inspect

    if getattr(inspect.getmodule, "remembers_misses", False):
        return
    original = inspect.getmodule
    indexed = -1  # len(sys.modules) when a walk last found nothing

    def getmodule(object, _filename=None):
        nonlocal indexed
        file = None
        if not (hasattr(object, "__name__") or hasattr(object, "__module__")):
            with contextlib.suppress(TypeError, FileNotFoundError):  # as inspect computes it
                file = inspect.getabsfile(object, _filename)
        if (file is not None and indexed == len(sys.modules)
                and file not in inspect.modulesbyfile and _filename not in inspect.modulesbyfile):
            return None
        found = original(object, _filename)
        if found is None and file is not None:
            indexed = len(sys.modules)
        return found

    getmodule.__doc__ = original.__doc__
    getmodule.remembers_misses = True
    inspect.getmodule = getmodule


def reuse_frame_lexer() -> None:
    """Highlight each traceback frame's code as stack_data does, with one lexer class.

    stack_data's `_pygmented_with_ranges` declares a new subclass of pygments' Python lexer for
    every frame it highlights (to mark the executing node); pygments compiles a lexer class's
    regular expressions the first time it is used, so every frame of every traceback compiled
    them all again: 5 ms a frame, half of what formatting a failing cell's traceback costs.
    Here the subclass is declared once and takes the ranges from its instance: the same tokens,
    marked the same way, so the same text.
    """
    import pygments
    import stack_data.core
    import stack_data.utils
    from pygments.lexers import get_lexer_by_name

    class ExecutingNodeLexer(type(get_lexer_by_name("python3"))):
        def __init__(self, ranges, **options):
            super().__init__(**options)
            self.ranges = ranges

        def get_tokens(self, text):
            length = 0
            for ttype, value in super().get_tokens(text):
                if any(start <= length < end for start, end in self.ranges):
                    ttype = ttype.ExecutingNode
                length += len(value)
                yield ttype, value

    def pygmented_with_ranges(formatter, code, ranges):
        try:
            highlighted = pygments.highlight(code, ExecutingNodeLexer(ranges, stripnl=False),
                                             formatter)
        except Exception:  # as stack_data: code without highlighting rather than a crash
            highlighted = code
        return highlighted.splitlines()

    stack_data.utils._pygmented_with_ranges = pygmented_with_ranges
    stack_data.core._pygmented_with_ranges = pygmented_with_ranges


def populations_loaded(notebooks: Iterable[Path]) -> list[tuple[int, int]]:
    """The (n, seed) of every `load_population(n, seed)` call with literal arguments in the
    notebooks' code cells, in order of first appearance. A call whose arguments are computed
    (from the sandbox's settings…) is left out: its kernels build it themselves, only slower."""
    import nbformat  # here: the fork server never needs it (its JSON schemas cost 2 s to load)

    found: dict[tuple[int, int], None] = {}
    for path in notebooks:
        try:
            cells = nbformat.read(path, as_version=4).cells
        except Exception:  # a broken release notebook only costs speed here
            continue
        for cell in cells:
            if cell.cell_type != "code":
                continue
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:  # IPython magics
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and _name(node.func) == "load_population":
                    arguments = _literal_arguments(node)
                    if arguments is not None:
                        found[arguments] = None
    return list(found)


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else None


def _literal_arguments(call: ast.Call) -> tuple[int, int] | None:
    named = dict(zip(("n", "seed"), call.args, strict=False))
    named.update({k.arg: k.value for k in call.keywords if k.arg in ("n", "seed")})
    try:
        n, seed = (ast.literal_eval(named[key]) for key in ("n", "seed"))
    except (KeyError, ValueError, TypeError, SyntaxError):
        return None
    return (n, seed) if isinstance(n, int) and isinstance(seed, int) else None
