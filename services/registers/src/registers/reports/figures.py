"""A report's figures from whole numbers: pooled rates and the shares of pupils with persistent and
severe absence, divided once at the end, exactly as the school summary divides (summaries.py)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any

from attendance_common.codes import CODES, Category

SUPPRESS_UNDER = 5  # domain.md 10: counts of fewer than 5 pupils are not published to governors
ABSENCE_CODES = tuple(
    code
    for code, entry in CODES.items()
    if entry.category in (Category.authorised_absence, Category.unauthorised_absence)
)
GROUP_FIGURES = (
    "pupils",
    "possible_sessions",
    "absence_rate",
    "authorised_absence_rate",
    "unauthorised_absence_rate",
    "persistent_absence_rate",
    "severe_absence_rate",
)
SERIES_FIGURES = ("possible_sessions", "absence_rate", "authorised_absence_rate", "unauthorised_absence_rate")


@dataclass(frozen=True)
class Tally:
    """Pupils and sessions of a group of pupils (a cell, a group, a school, the whole scope).

    `measured` pupils had a possible session in the period: the shares with persistent and severe
    absence are of them (summaries._summary)."""

    pupils: int = 0
    measured: int = 0
    persistent: int = 0
    severe: int = 0
    possible: int = 0
    authorised: int = 0
    unauthorised: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))


def total(tallies: Iterable[Tally]) -> Tally:
    return sum(tallies, Tally())


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def session_figures(possible: int, authorised: int, unauthorised: int) -> dict[str, Any]:
    """Possible sessions and the three pooled rates (null without possible sessions)."""
    return {
        "possible_sessions": possible,
        "absence_rate": _ratio(authorised + unauthorised, possible),
        "authorised_absence_rate": _ratio(authorised, possible),
        "unauthorised_absence_rate": _ratio(unauthorised, possible),
    }


def group_figures(tally: Tally, *, suppress: bool = False) -> dict[str, Any]:
    """The fields of `overall`, a group or a school; with `suppress` (a governor), a tally of fewer
    than 5 pupils has them null and `suppressed`."""
    if suppress and tally.pupils < SUPPRESS_UNDER:
        return dict.fromkeys(GROUP_FIGURES) | {"suppressed": True}
    return {
        "pupils": tally.pupils,
        **session_figures(tally.possible, tally.authorised, tally.unauthorised),
        "persistent_absence_rate": _ratio(tally.persistent, tally.measured),
        "severe_absence_rate": _ratio(tally.severe, tally.measured),
    }


def key_of(value: object) -> str:
    """A group's `key` as the school summary writes it: "true"/"false" for flags, else the value."""
    return str(value).lower() if isinstance(value, bool) else str(value)


_YEAR_ORDER = ["N1", "N2", "R", *[str(n) for n in range(1, 15)]]


def group_order(key: str) -> tuple[int, str]:
    """Year groups in school order, then anything else by its key."""
    return (_YEAR_ORDER.index(key), key) if key in _YEAR_ORDER else (len(_YEAR_ORDER), key)
