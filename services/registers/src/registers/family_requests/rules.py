"""The rules of reports and leave (api.md "Families report absences", "Families ask for leave"):
pure functions, no I/O. Each refusal is a typed error with the stable `code` api.md names."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from attendance_common.errors import Conflict, Unprocessable
from attendance_common.events.requests import LEAVE_CODES

REPORT_MAX_DAYS_BEFORE = 14
REPORT_MAX_DAYS_AHEAD = 60
REPORT_MAX_DAYS_LONG = 28
_SESSION_ORDER = {"AM": 0, "PM": 1}

Slot = tuple[dt.date, str]  # (date, session)


def check_report_span(first: Slot, last: Slot, today: dt.date) -> None:
    """A report's span: in order, starting no more than 14 days ago and no more than 60 days ahead,
    and at most 28 days from first to last date (days counted without adding to a sent date, so a
    date at the calendar's edge is refused, not an overflow)."""
    check_in_order(first, last)
    first_date, last_date = first[0], last[0]
    if (today - first_date).days > REPORT_MAX_DAYS_BEFORE:
        raise Unprocessable(
            "report_too_old",
            f"a report may start at most {REPORT_MAX_DAYS_BEFORE} days before today ({today}); "
            "for older absences, please speak to the school",
        )
    if (first_date - today).days > REPORT_MAX_DAYS_AHEAD:
        raise Unprocessable(
            "report_too_far_ahead",
            f"a report may start at most {REPORT_MAX_DAYS_AHEAD} days after today ({today})",
        )
    if (last_date - first_date).days > REPORT_MAX_DAYS_LONG:
        raise Unprocessable(
            "report_too_long",
            f"a report may cover at most {REPORT_MAX_DAYS_LONG} days from first to last date",
        )


def check_in_order(first: Slot, last: Slot) -> None:
    if order(last) < order(first):
        raise Unprocessable(
            "bad_range", f"the end ({last[0]} {last[1]}) is before the start ({first[0]} {first[1]})"
        )


def check_leave_span(first_date: dt.date, last_date: dt.date, today: dt.date) -> None:
    """Leave is granted only in advance (regulation 11): never from today or earlier."""
    check_in_order((first_date, "AM"), (last_date, "PM"))
    if first_date <= today:
        raise Unprocessable(
            "leave_not_in_advance",
            f"leave is asked for in advance: the first day must be after today ({today})",
        )


def expected_code(category: str) -> str:
    """The code the register will hold for leave granted in this category."""
    return LEAVE_CODES[category]


def order(slot: Slot) -> tuple[dt.date, int]:
    return slot[0], _SESSION_ORDER[slot[1]]


def covers(first: Slot, last: Slot, slot: Slot) -> bool:
    """Whether the span from `first` to `last` (sessions included) covers `slot`."""
    return order(first) <= order(slot) <= order(last)


def leave_by_day(
    granted: Iterable[tuple[int, dt.date, dt.date, str]], days: Iterable[dt.date]
) -> dict[tuple[int, dt.date], str]:
    """(pupil id, date) -> the expected code, for each of `days` inside a pupil's granted leave.

    Built once per batch of marks, so checking a mark is one dict lookup. The leave is clipped to
    the batch's days: a year of leave costs no more than the days a batch names.
    """
    wanted = sorted(set(days))
    found: dict[tuple[int, dt.date], str] = {}
    for pupil_id, first, last, code in granted:
        for day in wanted:
            if first <= day <= last:
                found[(pupil_id, day)] = code
    return found


def check_undecided(status: str, waiting: str, what: str) -> None:
    """Only a request still waiting (`submitted`, `pending`) is decided or withdrawn."""
    if status == "withdrawn":
        raise Conflict("already_withdrawn", f"{what} was withdrawn")
    if status != waiting:
        raise Conflict("already_decided", f"{what} was already decided ({status})")


def check_decision_note(outcome: str, note: str | None, *, needs_note: str) -> None:
    """Declining a report or refusing leave says why, so the family knows what to do next."""
    if outcome == needs_note and not (note and note.strip()):
        raise Unprocessable("note_required", f"a note is required to record `{outcome}`: say why")
