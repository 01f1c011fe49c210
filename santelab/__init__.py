"""santelab: the console command and the course tooling (lab launcher, coverage, grading)."""

from synthetic_data.version import __version__

__all__ = ["__version__"]
