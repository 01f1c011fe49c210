"""Clinical pathways as data (YAML state machines) and the engine that walks them."""

from synthetic_data.pathways.context import SimulationContext
from synthetic_data.pathways.engine import REFERENCE_END, PathwayEngine, history_start
from synthetic_data.pathways.errors import PathwayError

__all__ = ["REFERENCE_END", "PathwayEngine", "PathwayError", "SimulationContext", "history_start"]
