"""School days (domain.md 4): dates on which a school held sessions, kept with its marks.

A date is a school day while at least one of the school's marks on it is not `#`; each row counts
those marks, so a batch adds to it and an amendment to or from `#` moves it, in the marks' own
transaction. Reading a school's last 20 school days is then an index range of 20 rows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.bulk import upsert_rows
from attendance_common.codes import CLOSURE, is_school_day_mark
from registers.models import Mark, Pupil, SchoolDay

RECENT_DAYS = 20  # api.md "Finding pupils who need support": `recent` is the last 20 school days


def day_deltas(
    added: Iterable[tuple[dt.date, str]], changed: Iterable[tuple[dt.date, str, str]]
) -> dict[dt.date, int]:
    """date -> change in its school-day marks, from new (date, code)s and (date, old, new) amendments."""
    deltas: dict[dt.date, int] = defaultdict(int)
    for day, code in added:
        deltas[day] += is_school_day_mark(code)
    for day, old, new in changed:
        deltas[day] += is_school_day_mark(new) - is_school_day_mark(old)
    return {day: delta for day, delta in deltas.items() if delta}


async def apply_deltas(session: AsyncSession, school_urn: str, deltas: dict[dt.date, int]) -> None:
    rows = [{"school_urn": school_urn, "date": day, "marks": delta} for day, delta in deltas.items()]
    await upsert_rows(session, SchoolDay, rows, key=("school_urn", "date"), add=("marks",))


async def recent_windows(
    session: AsyncSession, school_urns: Sequence[str], end: dt.date, days: int = RECENT_DAYS
) -> dict[str, tuple[dt.date, dt.date]]:
    """urn -> (first, last) of the school's last `days` school days up to `end`; a school with none is
    left out. One statement for any number of schools (a page of an LA's list spans several)."""
    if not school_urns:
        return {}
    newest_first = (
        func.row_number().over(partition_by=SchoolDay.school_urn, order_by=SchoolDay.date.desc()).label("n")
    )
    ranked = (
        select(SchoolDay.school_urn, SchoolDay.date, newest_first)
        .where(SchoolDay.school_urn.in_(sorted(set(school_urns))), SchoolDay.date <= end, SchoolDay.marks > 0)
        .subquery()
    )
    query = (
        select(ranked.c.school_urn, func.min(ranked.c.date), func.max(ranked.c.date))
        .where(ranked.c.n <= days)
        .group_by(ranked.c.school_urn)
    )
    return {urn: (first, last) for urn, first, last in await session.execute(query)}


async def rebuild_school_days(session: AsyncSession) -> None:
    """Recompute every school's days from the marks (repair, or after loading marks in bulk)."""
    await session.execute(delete(SchoolDay))
    await session.execute(
        insert(SchoolDay).from_select(
            ["school_urn", "date", "marks"],
            select(Pupil.school_urn, Mark.date, func.count())
            .join(Pupil, Pupil.id == Mark.pupil_id)
            .where(Mark.code != CLOSURE)
            .group_by(Pupil.school_urn, Mark.date),
        )
    )
