"""A pathway as loaded from its file (shared by every patient), and an `Instance`: one
patient's walk through it, which the states, transitions and conditions read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from synthetic_data.model import Encounter

if TYPE_CHECKING:
    from synthetic_data.pathways.states import State

# Who a prevalence target is measured on, by age (and sex) at the end of the history.
POPULATIONS = ("all", "children", "adults", "adults_18_74", "adults_40_plus", "adults_65_plus", "women_15_45")
# What is counted: active at the end, ever had in the history, or onsets per person-year.
MEASURES = ("active_at_end", "ever", "per_year")


@dataclass(slots=True, frozen=True)
class Prevalence:
    target: float
    tolerance: float
    population: str
    condition: str  # "cim10:E11.9": counted when active at the end (or ever, by `measure`)
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


@dataclass(slots=True)
class Instance:
    pathway: Pathway  # the pathway or submodule being walked now
    state: State
    root: str  # name of the top-level pathway (submodules act on its behalf)
    entered: datetime  # when the patient entered the top-level pathway
    stack: list[tuple[Pathway, State]] = field(default_factory=list)  # callers of submodules
    encounter: Encounter | None = None
    leaving: bool = False  # the current state already said when to leave (Delay)
