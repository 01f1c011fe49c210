"""The loaded forms of a pathway file, shared by the loader and the engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from synthetic_data.pathways.states import State

# Who a prevalence target is measured on, by age (and sex) at the end of the history.
POPULATIONS = ("all", "children", "adults", "adults_40_plus", "adults_65_plus", "women_15_45")
# What is counted: active at the end, ever had in the history, or onsets per person-year.
MEASURES = ("active_at_end", "ever", "per_year")


@dataclass(slots=True, frozen=True)
class Prevalence:
    target: float
    tolerance: float
    population: str
    condition: str  # "cim10:E11": counted when active at the end (or ever, by `measure`)
    measure: str  # one of MEASURES
    source: str


@dataclass(slots=True, eq=False)
class Pathway:
    name: str
    key: str  # file stem, "shared/<stem>" for submodules
    file: str  # as shown in error messages
    title: str
    remarks: list[str]
    states: dict[str, State]
    prevalence: Prevalence | None = None
    initial: State = field(init=False)

    def __post_init__(self) -> None:
        self.initial = self.states["Initial"]
