"""The README's table of the course is the one the course itself gives (`santelab course
modules`): a notebook, a competency or a duration changed without the README fails here."""

from __future__ import annotations

import re
import subprocess
import sys

from santelab.course.framework import COURSE_ROOT
from santelab.course.modules_table import markdown, readme_block
from santelab.course.sources import source_files

README = COURSE_ROOT.parent / "README.md"


def test_the_readme_holds_the_generated_table_of_modules():
    assert readme_block() in README.read_text(encoding="utf-8"), (
        "README.md : remplacez le tableau des modules par la sortie de « santelab course modules »")


def test_the_table_names_every_notebook_with_its_competencies_and_minutes():
    table = markdown()
    rows = [line for line in table.splitlines() if ".ipynb" in line]
    assert len(rows) == len(source_files())
    assert all(re.fullmatch(r" \d+ min( \(\+ \d+ min hors du cœur\))? ", row.split("|")[4])
               and "D" in row.split("|")[3] for row in rows)
    printed = subprocess.run([sys.executable, "-m", "santelab", "course", "modules"],
                             capture_output=True, text=True, check=True).stdout
    assert printed.strip() == table
