"""What lies around a mark: neighbouring school days and weeks, and the windows through them."""

from __future__ import annotations

import bisect
import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from alerts.models import WeekCount


def neighbours(ordered: list[dt.date], item: dt.date, reach: int) -> list[dt.date]:
    """`item` and up to `reach` entries either side of where it stands in `ordered`."""
    index = bisect.bisect_left(ordered, item)
    return ordered[max(0, index - reach) : index + reach + 1]


def best_window_containing(
    weeks: list[dt.date], counts: dict[dt.date, int], must_include: set[dt.date], size: int
) -> tuple[int, list[dt.date]]:
    best, best_window = -1, []
    for start in range(max(1, len(weeks) - size + 1)):
        window = weeks[start : start + size]
        if must_include & set(window):
            total = sum(counts.get(w, 0) for w in window)
            if total > best:
                best, best_window = total, window
    return best, best_window


async def week_counts(session: AsyncSession, pupil_id: int, weeks: list[dt.date]) -> dict[dt.date, int]:
    if not weeks:
        return {}
    rows = await session.execute(
        select(WeekCount.week, WeekCount.unauthorised).where(
            WeekCount.pupil_id == pupil_id, WeekCount.week.between(weeks[0], weeks[-1])
        )
    )
    return dict(rows.all())
