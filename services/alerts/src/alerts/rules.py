"""The alert rules (domain.md sections 4-5, api.md "Alerts"): pure functions over a pupil's state.

Every figure is counted in school days or school weeks of the pupil's school, never calendar
days. Each function answers "should this alert be open now?" from the facts it is given; the
worker gathers those facts (a bounded neighbourhood of the mark, so one mark's cost never grows
with the pupil's history) and keeps at most one open alert per pupil and type (and date).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from fractions import Fraction
from typing import Any

from attendance_common.codes import (
    DELETION_GROUND_CODES,
    PERSISTENT_THRESHOLD,
    RULES_VERSION,
    SEVERE_THRESHOLD,
    UNAUTHORISED_FOR_PENALTY,
    Counts,
    absence_at_least,
)
from attendance_common.events.alerts import ALERT_TYPES
from attendance_common.scopes import applying

RULE_VERSION = f"{RULES_VERSION}/alerts.1"
PER_DATE_TYPES = ("first_day_absence", "social_worker_unexplained_absence")
# Statutory duties (first-day calling; telling a child's social worker the same day): a school may
# not switch these off for itself (api.md "Authorisation clarified").
STATUTORY_TYPES = ("first_day_absence", "social_worker_unexplained_absence")


@dataclass(frozen=True)
class Thresholds:
    """The configurable part of the rules; `/v1/rules` sets them per scope.

    The rates open at DfE's persistent and severe absence measures (`codes`) by default. The measure
    itself (registers' summary flags) is fixed, as published figures are; these thresholds are an
    LA's or a school's choice of when to act, and close with hysteresis so an alert does not flap.
    """

    persistent_rate: Fraction = PERSISTENT_THRESHOLD
    persistent_clear_below: Fraction = Fraction(9, 100)
    severe_rate: Fraction = SEVERE_THRESHOLD
    severe_clear_below: Fraction = Fraction(49, 100)
    min_possible_sessions: int = 30
    ten_day_run_days: int = 10
    illness_days: int = 15
    penalty_sessions: int = 10
    penalty_weeks: int = 10
    overdue_n_school_days: int = 5
    # api.md Part 2 "Finding pupils who need support": the rate over the school's last
    # `emerging_days` school days, opening before the year-to-date rate reaches persistent absence.
    emerging_rate: Fraction = PERSISTENT_THRESHOLD
    emerging_clear_rate: Fraction = Fraction(9, 100)
    emerging_days: int = 20
    emerging_min_possible_sessions: int = 20
    twenty_day_run_days: int = 20
    enabled: frozenset[str] = frozenset(ALERT_TYPES)

    def as_json(self) -> dict[str, Any]:
        """JSON-able settings: rates as numbers where exact (0.1), else as "n/d" strings ("1/3")."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Fraction):
                out[f.name] = float(value) if Fraction(str(float(value))) == value else str(value)
            else:
                out[f.name] = sorted(value) if f.name == "enabled" else value
        return out


DEFAULT = Thresholds()


def merge(base: Thresholds, overrides: Mapping[str, Any]) -> Thresholds:
    """Apply one scope's settings on top of a less specific scope's."""
    changes: dict[str, Any] = {}
    for name, value in overrides.items():
        if name == "enabled":
            changes[name] = frozenset(value)
        elif isinstance(getattr(DEFAULT, name), Fraction):
            changes[name] = Fraction(str(value))  # exact: 0.1 is 1/10, not the float nearest it
        else:
            changes[name] = value
    return replace(base, **changes)


def resolve(stored: Mapping[str, Mapping[str, Any]], school_urn: str, la_code: str | None) -> Thresholds:
    """Most specific wins, field by field: `default`, then `la:{code}`, then `school:{urn}`."""
    thresholds = DEFAULT
    for scope in applying(school_urn, la_code):
        thresholds = merge(thresholds, stored.get(scope, {}))
    return thresholds


def rate_alert_holds(
    counts: Counts, *, is_open: bool, rate: Fraction, clear_below: Fraction, min_possible: int
) -> bool:
    """Hysteresis: opens at `rate` (with enough possible sessions), clears only below `clear_below`."""
    if counts.possible_sessions == 0:
        return False
    if is_open:
        return absence_at_least(counts, clear_below)
    return counts.possible_sessions >= min_possible and absence_at_least(counts, rate)


def persistent_absence_holds(counts: Counts, is_open: bool, t: Thresholds) -> bool:
    return _rate_holds(counts, is_open, t, t.persistent_rate, t.persistent_clear_below)


def severe_absence_holds(counts: Counts, is_open: bool, t: Thresholds) -> bool:
    return _rate_holds(counts, is_open, t, t.severe_rate, t.severe_clear_below)


def _rate_holds(counts: Counts, is_open: bool, t: Thresholds, rate: Fraction, clear_below: Fraction) -> bool:
    """`rate_alert_holds` with the thresholds' minimum of possible sessions."""
    return rate_alert_holds(
        counts, is_open=is_open, rate=rate, clear_below=clear_below, min_possible=t.min_possible_sessions
    )


def emerging_absence_holds(recent: Counts, *, is_open: bool, persistent_open: bool, t: Thresholds) -> bool:
    """The rate over the school's last `emerging_days` school days, with hysteresis (opens at
    `emerging_rate` with `emerging_min_possible_sessions`, clears below `emerging_clear_rate`);
    never while a persistent absence alert is open: that one has taken over."""
    if persistent_open:
        return False
    return rate_alert_holds(
        recent,
        is_open=is_open,
        rate=t.emerging_rate,
        clear_below=t.emerging_clear_rate,
        min_possible=t.emerging_min_possible_sessions,
    )


def recent_window(school_days: Sequence[dt.date], days: int) -> list[dt.date]:
    """The school's last `days` school days (all of them while it has held fewer)."""
    ordered = sorted(school_days)
    return ordered[-days:] if days > 0 else []


def window_counts(
    window: Sequence[dt.date], sessions: Mapping[dt.date, tuple[str | None, str | None]]
) -> Counts:
    """The pupil's sessions over the window's days (a day without a mark adds nothing)."""
    counts = Counts()
    for day in window:
        for code in sessions.get(day, (None, None)):
            if code is not None:
                counts = counts.add_code(code)
    return counts


def first_day_absence_holds(codes_on_date: Sequence[str | None]) -> bool:
    """A date with an `N` mark (first-day calling)."""
    return "N" in codes_on_date


def social_worker_absence_holds(has_social_worker: bool, codes_on_date: Sequence[str | None]) -> bool:
    """A pupil with a social worker and an `N` or `O` on the date: tell the worker the same day."""
    return has_social_worker and ("N" in codes_on_date or "O" in codes_on_date)


# The 20-day continuous absence (children missing education, domain.md 5 and 10): G, N or O only;
# a `U` (the pupil came, late) shows the child is not missing, so it breaks the run.
CONTINUOUS_ABSENCE_CODES = DELETION_GROUND_CODES


def wholly_unauthorised(am: str | None, pm: str | None) -> bool:
    """Both sessions of the day G/N/O/U; a missing mark breaks the run."""
    return am in UNAUTHORISED_FOR_PENALTY and pm in UNAUTHORISED_FOR_PENALTY


def wholly_absent(am: str | None, pm: str | None, codes: frozenset[str]) -> bool:
    """Both sessions of the day have one of `codes`; a missing mark breaks the run."""
    return am in codes and pm in codes


def longest_run(
    school_days: Sequence[dt.date],
    sessions: Mapping[dt.date, tuple[str | None, str | None]],
    codes: frozenset[str] = UNAUTHORISED_FOR_PENALTY,
) -> tuple[int, list[dt.date]]:
    """The longest run of consecutive school days with both sessions in `codes`, and its days.

    `school_days` are the school's school days in order (a `#` closure day is not one, so it
    neither counts nor breaks a run); `sessions` maps a day to the pupil's (AM, PM) codes.
    G/N/O/U (the default) is the ten-day run; CONTINUOUS_ABSENCE_CODES the twenty-day one.
    """
    best: list[dt.date] = []
    current: list[dt.date] = []
    for day in school_days:
        if wholly_absent(*sessions.get(day, (None, None)), codes):
            current.append(day)
            if len(current) > len(best):
                best = list(current)
        else:
            current = []
    return len(best), best


def best_penalty_window(
    school_weeks: Sequence[dt.date], unauthorised_by_week: Mapping[dt.date, int], window: int
) -> tuple[int, list[dt.date]]:
    """The most G/N/O/U sessions in any `window` consecutive school weeks, and those weeks.

    Fewer school weeks than the window: the whole run of weeks is the window.
    """
    weeks = list(school_weeks)
    if len(weeks) <= window:
        return sum(unauthorised_by_week.get(w, 0) for w in weeks), weeks
    best, best_start = -1, 0
    total = sum(unauthorised_by_week.get(w, 0) for w in weeks[:window])
    for start in range(len(weeks) - window + 1):
        if start:
            total += unauthorised_by_week.get(weeks[start + window - 1], 0) - unauthorised_by_week.get(
                weeks[start - 1], 0
            )
        if total > best:
            best, best_start = total, start
    return best, weeks[best_start : best_start + window]


def week_of(day: dt.date) -> dt.date:
    """The Monday of the day's Monday-Sunday week."""
    return day - dt.timedelta(days=day.weekday())


def overdue_n_holds(n_date: dt.date, school_days_after: int, t: Thresholds) -> bool:
    """An `N` still there once the school has recorded `overdue_n_school_days` further school days."""
    return school_days_after >= t.overdue_n_school_days


def rate_figures(counts: Counts, start: dt.date, end: dt.date) -> dict[str, Any]:
    """The figures behind a rate alert: the rate, its numerator and denominator, and the window."""
    possible = counts.possible_sessions
    return {
        "rate": counts.absence_sessions / possible if possible else None,
        "numerator": counts.absence_sessions,
        "denominator": possible,
        "window": {"from": start.isoformat(), "to": end.isoformat()},
    }
