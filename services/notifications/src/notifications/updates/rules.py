"""Pure rules of attendance updates (api.md "Keeping parents informed"): the period, the figures
as registers computes them, improvement, the band a message is worded for, and the weekly slot.

Figures come from `attendance_common.codes` (the code table, `Counts`, `attendance_rate`), so an
update says what registers' attendance summary says for the same marks; comparisons are exact
fractions, never rounded floats.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from fractions import Fraction
from typing import Any

from attendance_common.clock import LONDON
from attendance_common.codes import (
    CODES,
    PERSISTENT_THRESHOLD,
    SEVERE_THRESHOLD,
    Category,
    Counts,
    absence_at_least,
    academic_year_start,
    attendance_rate,
)
from attendance_common.errors import Unprocessable

KIND = "attendance_update"
IMPROVEMENT = Fraction(1, 100)  # the year-to-date rate this much above the previous update's
AT_RISK_THRESHOLD = Fraction(1, 20)  # domain.md 10: 5% to under 10% absence is at risk
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
FREQUENCIES = ("weekly", "off")
DEFAULT_WEEKDAY, DEFAULT_TIME = "friday", dt.time(15, 30)


def check_period(start: dt.date, end: dt.date, today: dt.date) -> None:
    """422 `bad_range` (`from` after `to`), `period_too_long` (longer than an academic year: `to`
    on or after the same date a year after `from`) or `future_date` (`to` after today)."""
    if start > end:
        raise Unprocessable("bad_range", f"from ({start}) is after to ({end})")
    if start.year < dt.MAXYEAR and end >= _a_year_after(start):  # in year 9999 nothing is a year on
        raise Unprocessable(
            "period_too_long", f"from {start} to {end} is longer than an academic year: send a shorter period"
        )
    if end > today:
        raise Unprocessable("future_date", f"to ({end}) is after today ({today}): no register is known yet")


def _a_year_after(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28) + dt.timedelta(days=1)


def year_start(end: dt.date) -> dt.date:
    """The first day of the year to date: 1 September of the academic year containing `end`."""
    return academic_year_start(end)


def tally(codes: dict[str, int]) -> Counts:
    """Counts from {code: sessions}, through the statutory code table (codes unknown to it are left
    out, as the parent app's summary does)."""
    sums = {category: 0 for category in _COUNTED}
    for code, sessions in codes.items():
        found = CODES.get(code)
        if found is not None and found.category in sums:
            sums[found.category] += sessions
    return Counts(**{category.value: n for category, n in sums.items()})


_COUNTED = tuple(c for c in Category if c.value in {f.name for f in fields(Counts)})


def attended(counts: Counts) -> int:
    """Present (with `L`) and approved educational activity: the sessions that count as attendance."""
    return counts.present + counts.approved_educational_activity


@dataclass(frozen=True)
class Previous:
    """The year-to-date figures of the pupil's previous update, as sent."""

    period_to: dt.date
    attended: int
    possible: int


def improved(previous: Previous | None, year: Counts, end: dt.date) -> bool:
    """The year-to-date attendance rate is at least 0.01 above the previous update's, compared
    exactly. Only within one academic year: a new year's rate starts again and is not compared
    with last year's."""
    if previous is None or previous.possible == 0 or year.possible_sessions == 0:
        return False
    if academic_year_start(previous.period_to) != academic_year_start(end):
        return False
    now = Fraction(attended(year), year.possible_sessions)
    return now - Fraction(previous.attended, previous.possible) >= IMPROVEMENT


def band(year: Counts) -> str | None:
    """The DfE band of the year-to-date absence rate (domain.md 10); None without possible sessions."""
    if year.possible_sessions == 0:
        return None
    for name, threshold in (
        ("severe", SEVERE_THRESHOLD),
        ("persistent", PERSISTENT_THRESHOLD),
        ("at_risk", AT_RISK_THRESHOLD),
    ):
        if absence_at_least(year, threshold):
            return name
    return "expected"


def data(start: dt.date, end: dt.date, period: Counts, year: Counts, improved_: bool) -> dict[str, Any]:
    """The message's `data` (api.md): the period's and the year to date's figures."""
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "present_sessions": attended(period),
        "possible_sessions": period.possible_sessions,
        "attendance_rate": attendance_rate(period),
        "year_to_date": {
            "possible_sessions": year.possible_sessions,
            "attendance_rate": attendance_rate(year),
        },
        "improved": improved_,
    }


def check_schedule(frequency: str, weekday: str | None, time: str | None) -> tuple[str, str, dt.time]:
    """The schedule as stored, or 422 `unknown_frequency`, `unknown_weekday` or `bad_time` (24-hour
    `HH:MM`). Left out, the weekday is Friday and the time 15:30."""
    if frequency not in FREQUENCIES:
        raise Unprocessable("unknown_frequency", f"frequency must be one of {', '.join(FREQUENCIES)}")
    day = (weekday if weekday is not None else DEFAULT_WEEKDAY).strip().lower()
    if day not in WEEKDAYS:
        raise Unprocessable("unknown_weekday", f"{day[:20]!r} is not a weekday: {', '.join(WEEKDAYS)}")
    return frequency, day, DEFAULT_TIME if time is None else parse_time(time)


def parse_time(text: str) -> dt.time:
    """`HH:MM` on the 24-hour clock, or 422 `bad_time`."""
    hours, colon, minutes = text.partition(":")
    digits = colon and len(hours) == 2 and len(minutes) == 2 and f"{hours}{minutes}".isascii()
    digits = digits and hours.isdigit() and minutes.isdigit()
    if digits and int(hours) < 24 and int(minutes) < 60:
        return dt.time(int(hours), int(minutes))
    raise Unprocessable(
        "bad_time", f"{text[:20]!r} is not a time: send HH:MM on the 24-hour clock, e.g. 15:30"
    )


def latest_slot(now: dt.datetime, weekday: str, at: dt.time) -> dt.datetime:
    """The latest moment (UTC) at or before `now` that is `weekday` at `at` in Europe/London, whatever
    the UTC offset that week (a time the clocks skip, e.g. 01:30 on the spring-forward Sunday,
    falls an hour later)."""
    local = now.astimezone(LONDON)
    day = local.date() - dt.timedelta(days=(local.weekday() - WEEKDAYS.index(weekday)) % 7)
    slot = dt.datetime.combine(day, at, tzinfo=LONDON).astimezone(dt.UTC)
    if slot > now:
        slot = dt.datetime.combine(day - dt.timedelta(days=7), at, tzinfo=LONDON).astimezone(dt.UTC)
    return slot


def week_of(slot: dt.datetime) -> tuple[dt.date, dt.date]:
    """The period a weekly update sent at `slot` covers: the school week (Monday) to the slot's date."""
    day = slot.astimezone(LONDON).date()
    return day - dt.timedelta(days=day.weekday()), day
