"""A report's series buckets: Monday-Sunday weeks (domain.md 4) or calendar months, cut to the period."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from attendance_common.errors import Unprocessable

Interval = Literal["week", "month"]
INTERVALS: tuple[Interval, ...] = ("week", "month")


def checked_interval(text: str) -> Interval:
    """`week` or `month`; 422 `unknown_interval` otherwise."""
    for interval in INTERVALS:
        if text == interval:
            return interval
    raise Unprocessable("unknown_interval", f"interval must be week or month, not {text[:50]!r}")


def bucket_start(day: dt.date, interval: Interval) -> dt.date:
    """The Monday of the day's week, or the first of its month."""
    if interval == "week":
        return day - dt.timedelta(days=day.weekday())
    return day.replace(day=1)


def buckets(start: dt.date, end: dt.date, interval: Interval) -> list[tuple[dt.date, dt.date]]:
    """(first, last) day of every week or month that meets [start, end], cut to it, in order.

    2026-09-02..2026-09-20 by week -> (09-02, 09-06), (09-07, 09-13), (09-14, 09-20).
    """
    found = []
    first = bucket_start(start, interval)
    while first <= end:
        after = _next(first, interval)
        found.append((max(first, start), min(after - dt.timedelta(days=1), end)))
        first = after
    return found


def _next(first: dt.date, interval: Interval) -> dt.date:
    if interval == "week":
        return first + dt.timedelta(days=7)
    return (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
