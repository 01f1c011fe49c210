"""Deterministic synthetic French population exported to FHIR R4, NDJSON and CSV.

    >>> import synthetic_data
    >>> population = synthetic_data.generate(n=100, seed=42)

`generate` and `Population` are loaded on first use, so that importing a small module of the
package (`synthetic_data.model`, `synthetic_data.nir`) stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from synthetic_data.population import Population, generate

__all__ = ["Population", "generate"]


def __getattr__(name: str):
    if name in __all__:
        from synthetic_data import population

        return getattr(population, name)
    raise AttributeError(f"module 'synthetic_data' has no attribute {name!r}")
