"""What lies around a mark: neighbouring school days and weeks, and the windows through them."""

from __future__ import annotations

import bisect
import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from alerts.evaluation.pupil_state import Day
from alerts.models import Mark, WeekCount
from attendance_common.bulk import any_of


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


async def weeks_counts(
    session: AsyncSession, pupil_ids: list[int], weeks: list[dt.date], dialect: str
) -> dict[int, dict[dt.date, int]]:
    """week_counts for many pupils of one school in one query."""
    found: dict[int, dict[dt.date, int]] = {}
    if not pupil_ids or not weeks:
        return found
    rows = await session.execute(
        select(WeekCount.pupil_id, WeekCount.week, WeekCount.unauthorised).where(
            any_of(WeekCount.pupil_id, pupil_ids, dialect), WeekCount.week.between(weeks[0], weeks[-1])
        )
    )
    for pupil_id, week, count in rows:
        found.setdefault(pupil_id, {})[week] = count
    return found


async def pupils_days(
    session: AsyncSession, pupil_ids: list[int], start: dt.date, end: dt.date, dialect: str
) -> dict[int, dict[dt.date, Day]]:
    """Each pupil's (AM, PM) codes per date in [start, end], in one query."""
    found: dict[int, dict[dt.date, list[str | None]]] = {}
    if pupil_ids:
        rows = await session.execute(
            select(Mark.pupil_id, Mark.date, Mark.session, Mark.code).where(
                any_of(Mark.pupil_id, pupil_ids, dialect), Mark.date.between(start, end)
            )
        )
        for pupil_id, date, sess, code in rows:
            found.setdefault(pupil_id, {}).setdefault(date, [None, None])[0 if sess == "AM" else 1] = code
    return {pid: {d: (v[0], v[1]) for d, v in days.items()} for pid, days in found.items()}
