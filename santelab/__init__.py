"""santelab: the console command and the course tooling (lab launcher, coverage, grading)."""

__version__ = "0.1.0"
