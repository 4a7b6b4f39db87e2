"""The DfE figures a report compares with (domain.md 9): one table with its period and source, so a
new release is one edit here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class NationalFigures:
    phase: str
    absence_rate: float
    persistent_absence_rate: float


PERIOD = "2025/26 year to date (8 September 2025 to 10 July 2026)"
SOURCE = 'DfE "Pupil attendance in schools", daily-data release, explore-education-statistics.service.gov.uk'
# State-funded schools by phase; `all` is primary, secondary and special together.
FIGURES = {
    figures.phase: figures
    for figures in (
        NationalFigures("primary", 0.0528, 0.1377),
        NationalFigures("secondary", 0.0849, 0.2377),
        NationalFigures("special", 0.1317, 0.3606),
        NationalFigures("all", 0.0688, 0.1878),
    )
}
# A school's `phase` as schools send it (free text; Get Information About Schools names) -> the phase
# DfE publishes for it. Middle schools count with the phase they are deemed; an all-through school
# spans primary and secondary, so compares with all schools.
_PHASES = {
    "primary": "primary",
    "middle deemed primary": "primary",
    "secondary": "secondary",
    "middle deemed secondary": "secondary",
    "special": "special",
    "all-through": "all",
    "all through": "all",
}


def phase_of(school_phase: str | None) -> str | None:
    """The published phase a school's `phase` compares with, or None (nursery, 16 plus, unknown)."""
    return _PHASES.get((school_phase or "").strip().lower())


def for_schools(phases: Iterable[str | None]) -> NationalFigures | None:
    """The figures of the scope's one phase; None for a mixed scope, an unknown phase or no school."""
    published = {phase_of(phase) for phase in phases}
    if len(published) != 1:
        return None
    (phase,) = published
    return FIGURES[phase] if phase else None
