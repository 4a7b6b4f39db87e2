"""Monthly category counters per pupil: what makes a year's school summary read 10 rows a pupil."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import case, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.bulk import upsert_rows
from attendance_common.codes import CODES, Category
from registers.models import Mark, MarkMonthCount, Pupil

COUNTED = (
    Category.present,
    Category.approved_educational_activity,
    Category.authorised_absence,
    Category.unauthorised_absence,
)
COLUMNS = tuple(category.value for category in COUNTED)
_COLUMN_OF = {code: COUNTED.index(c.category) for code, c in CODES.items() if c.category in COUNTED}

Delta = list[int]  # one signed count per COUNTED category


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_deltas(
    added: Iterable[tuple[int, dt.date, str]], changed: Iterable[tuple[int, dt.date, str, str]]
) -> dict[tuple[int, dt.date], Delta]:
    """(pupil, month) -> change per category, from new marks and (old code -> new code) amendments."""
    deltas: dict[tuple[int, dt.date], Delta] = defaultdict(lambda: [0, 0, 0, 0])
    months: dict[dt.date, dt.date] = {}  # a batch spans a day or a few: each month is worked out once
    for pupil_id, day, code in added:
        if (column := _COLUMN_OF.get(code)) is not None:
            month = months.get(day) or months.setdefault(day, month_of(day))
            deltas[(pupil_id, month)][column] += 1
    for pupil_id, day, old, new in changed:
        delta = deltas[(pupil_id, month_of(day))]
        if (column := _COLUMN_OF.get(old)) is not None:
            delta[column] -= 1
        if (column := _COLUMN_OF.get(new)) is not None:
            delta[column] += 1
    return {key: delta for key, delta in deltas.items() if any(delta)}


async def apply_deltas(session: AsyncSession, deltas: dict[tuple[int, dt.date], Delta]) -> None:
    """Add the deltas to the counters in one statement."""
    rows = [{"pupil_id": p, "month": m, **dict(zip(COLUMNS, d, strict=True))} for (p, m), d in deltas.items()]
    await upsert_rows(session, MarkMonthCount, rows, key=("pupil_id", "month"), add=COLUMNS)


def category_sums() -> list[object]:
    """SUM(CASE ...) per counted category, for aggregating marks in SQL."""
    return [
        func.coalesce(
            func.sum(
                case((Mark.code.in_([code for code, col in _COLUMN_OF.items() if col == i]), 1), else_=0)
            ),
            0,
        ).label(column)
        for i, column in enumerate(COLUMNS)
    ]


async def rebuild_month_counts(session: AsyncSession) -> None:
    """Recompute every counter from the marks (repair, or after loading marks in bulk)."""
    await session.execute(delete(MarkMonthCount))
    postgres = (await session.connection()).dialect.name == "postgresql"
    month = func.date_trunc("month", Mark.date) if postgres else func.date(Mark.date, "start of month")
    await session.execute(
        insert(MarkMonthCount).from_select(
            ["pupil_id", "month", *COLUMNS],
            select(Mark.pupil_id, func.cast(month, MarkMonthCount.month.type), *category_sums()).group_by(
                Mark.pupil_id, month
            ),
        )
    )


def split_period(
    start: dt.date, end: dt.date
) -> tuple[tuple[dt.date, dt.date] | None, list[tuple[dt.date, dt.date]]]:
    """Whole calendar months inside [start, end] (read from counters) and the edge ranges (from marks).

    2026-09-01..2026-11-22 -> months Sep..Oct, edges [Nov 1..Nov 22].
    """
    first_month = start if start.day == 1 else _next_month(start)
    after_last = _next_month(end) if _next_month(end) - dt.timedelta(days=1) == end else month_of(end)
    if first_month >= after_last:
        return None, [(start, end)]
    edges = []
    if start < first_month:
        edges.append((start, first_month - dt.timedelta(days=1)))
    if after_last <= end:
        edges.append((after_last, end))
    return (first_month, after_last - dt.timedelta(days=1)), edges


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


async def counts_by_pupil(
    session: AsyncSession, start: dt.date, end: dt.date, *, pupil_id: int | None = None, on_roll: Any = None
) -> dict[int, list[int]]:
    """pupil id -> counts per COUNTED category over [start, end], for one pupil or a school's pupils.

    Whole months come from the counters, the edge days from the marks themselves.
    """
    months, edges = split_period(start, end)
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])

    def scoped(query: Any, table: Any) -> Any:
        if pupil_id is not None:
            return query.where(table.pupil_id == pupil_id)
        return query.join(Pupil, Pupil.id == table.pupil_id).where(on_roll)

    if months is not None:
        query = select(
            MarkMonthCount.pupil_id, *(func.sum(getattr(MarkMonthCount, c)).label(c) for c in COLUMNS)
        )
        query = scoped(query, MarkMonthCount).where(MarkMonthCount.month.between(*months))
        for row in await session.execute(query.group_by(MarkMonthCount.pupil_id)):
            _add(totals[row.pupil_id], row)
    for edge in edges:
        query = scoped(select(Mark.pupil_id, *category_sums()), Mark).where(Mark.date.between(*edge))
        for row in await session.execute(query.group_by(Mark.pupil_id)):
            _add(totals[row.pupil_id], row)
    return totals


def _add(total: list[int], row: object) -> None:
    for i, column in enumerate(COLUMNS):
        total[i] += int(getattr(row, column) or 0)
