"""Which populations the fork server builds before forking: those the notebooks' code loads."""

from __future__ import annotations

import nbformat

from santelab.grading.warmup import populations_loaded


def _notebook(path, *sources: str):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.cells.insert(0, nbformat.v4.new_markdown_cell("load_population(n=1, seed=1)"))
    nbformat.write(nb, path)
    return path


def test_literal_calls_are_found_in_order_once(tmp_path) -> None:
    first = _notebook(tmp_path / "01.ipynb",
                      "from santelab.course.student import load_population\n"
                      "population = load_population(n=200, seed=2026)",
                      "%matplotlib inline\nx = load_population(n=5, seed=5)",  # not Python
                      "import santelab.course.student as s\npetite = s.load_population(20, 2026)")
    second = _notebook(tmp_path / "02.ipynb",
                       "population = load_population(seed=2026, n=200)",
                       "reglages = Settings()\n"
                       "p = load_population(n=reglages.patients, seed=reglages.seed)",
                       "q = load_population(n=-3 + 4j, seed='graine')")
    assert populations_loaded([first, second]) == [(200, 2026), (20, 2026)]


def test_an_unreadable_notebook_is_skipped(tmp_path) -> None:
    broken = tmp_path / "casse.ipynb"
    broken.write_text("{pas du json", encoding="utf-8")
    good = _notebook(tmp_path / "bon.ipynb", "load_population(n=3, seed=4)")
    assert populations_loaded([broken, good]) == [(3, 4)]


def test_remembered_module_misses_give_the_same_tracebacks(monkeypatch) -> None:
    """A kernel's tracebacks are the same text with the misses remembered, and a lookup is
    redone once `sys.modules` changes (an import may bring the module the file belongs to)."""
    import inspect
    import linecache
    import sys
    import types

    from IPython.core.ultratb import VerboseTB

    from santelab.grading.warmup import remember_module_misses

    monkeypatch.setattr(inspect, "getmodule", inspect.getmodule)  # undone after the test
    source = "def f(x):\n    return g(x)\ndef g(x):\n    raise ValueError(x)\nf(1)\n"
    cell = "/tmp/ipykernel_0/123456789.py"  # as a kernel names a cell: no such file
    monkeypatch.setitem(linecache.cache, cell, (len(source), None, source.splitlines(True), cell))

    def formatted() -> list[str]:
        try:
            exec(compile(source, cell, "exec"), {})
        except ValueError:
            return VerboseTB().structured_traceback(*sys.exc_info())
        raise AssertionError("the cell raises")

    before = formatted()
    remember_module_misses()
    assert inspect.getmodule.remembers_misses
    assert formatted() == formatted() == before
    code = compile(source, cell, "exec")
    assert inspect.getmodule(code) is None
    owner = types.ModuleType("cellule_importee")
    owner.__file__ = cell
    monkeypatch.setitem(sys.modules, owner.__name__, owner)  # sys.modules grew: looked up again
    assert inspect.getmodule(code) is owner


def test_the_reused_frame_lexer_gives_the_same_tracebacks(monkeypatch) -> None:
    """Tracebacks through a cell, a library and a multi-line call: the same highlighted text
    (executing node marked) with stack_data's per-frame lexer class declared once."""
    import json
    import linecache
    import sys

    import stack_data.core
    import stack_data.utils
    from IPython.core.ultratb import VerboseTB

    from santelab.grading.warmup import reuse_frame_lexer

    for module in (stack_data.core, stack_data.utils):  # undone after the test
        monkeypatch.setattr(module, "_pygmented_with_ranges", module._pygmented_with_ranges)
    cells = {
        "/tmp/ipykernel_0/1.py": "def f(x):\n    return g(x)\ndef g(x):\n    assert x == 3, 'non'\nf(2)\n",
        "/tmp/ipykernel_0/2.py": "json.loads(\n    '{'\n)\n",
        "/tmp/ipykernel_0/3.py": "total = sum(\n    [1, 2][i] for i in range(3)\n)\n",
    }
    for name, source in cells.items():
        monkeypatch.setitem(linecache.cache, name, (len(source), None, source.splitlines(True), name))

    def formatted() -> list[list[str]]:
        shown = []
        for name, source in cells.items():
            try:
                exec(compile(source, name, "exec"), {"json": json})
            except Exception:
                shown.append(VerboseTB().structured_traceback(*sys.exc_info()))
        return shown

    before = formatted()
    original = stack_data.core._pygmented_with_ranges
    reuse_frame_lexer()
    assert stack_data.core._pygmented_with_ranges is not original
    after = formatted()
    assert after == before
    assert len(after) == 3 and all("\x1b[" in "".join(lines) for lines in after)  # highlighted
