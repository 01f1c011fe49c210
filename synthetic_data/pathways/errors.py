"""Errors raised while loading or running pathways."""

from __future__ import annotations

from synthetic_data.errors import SantelabError


class PathwayError(SantelabError):
    """A pathway file that cannot be used; the French message names `file:state`."""


class SpecError(ValueError):
    """A malformed state or condition field; the loader adds the `file:state` prefix."""
