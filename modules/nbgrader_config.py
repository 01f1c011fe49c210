"""nbgrader configuration of the santelab course (run nbgrader from this folder)."""

from pathlib import Path

c = get_config()  # noqa: F821  (injected by traitlets when nbgrader loads this file)

c.CourseDirectory.root = str(Path(__file__).resolve().parent)
c.CourseDirectory.course_id = "santelab"

# A notebook must never hang the grader: every cell gets a bounded time.
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True

# Student versions replace solutions by this stub (French for the student).
c.ClearSolutions.code_stub = {"python": "# VOTRE CODE ICI\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "VOTRE RÉPONSE ICI"
