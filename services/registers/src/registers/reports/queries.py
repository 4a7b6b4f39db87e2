"""The report's reads: three aggregate statements whatever the number of pupils, none per pupil.

- pupils on roll in the period per cell (school, year group, FSM, SEN status, social worker);
- per cell, the sums of its pupils' sessions and how many reach persistent and severe absence: each
  pupil's period totals (monthly counters for whole months, marks for the edge days, as the school
  summary reads them) summed in a subquery, then counted against the thresholds in integers;
- the scope's marks per date and code (SchoolDayCode), for the series and the reasons.
Every figure is then a sum of these whole numbers (figures.py): a group, a school and the whole scope
divide the same integers the summary would.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, and_, case, func, or_, select, text, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.codes import PERSISTENT_THRESHOLD, SEVERE_THRESHOLD
from registers import counters
from registers.models import Mark, MarkMonthCount, Pupil, SchoolDayCode
from registers.reports.figures import Tally


class Cell(NamedTuple):
    school_urn: str
    year_group: str
    fsm_eligible: bool
    sen_status: str
    has_social_worker: bool


_CELL = (Pupil.school_urn, Pupil.year_group, Pupil.fsm_eligible, Pupil.sen_status, Pupil.has_social_worker)


def _on_roll(urns: Sequence[str], start: dt.date, end: dt.date) -> ColumnElement[bool]:
    """Pupils on roll at any time in the period (as the school summary counts them)."""
    return and_(
        Pupil.school_urn.in_(list(urns)),
        Pupil.start_date <= end,
        or_(Pupil.deleted_on.is_(None), Pupil.deleted_on >= start),
    )


def sessions_end(end: dt.date, today: dt.date) -> dt.date:
    """Where the sessions of a period ending `end` may be read to: its month's last day when `end` is
    today or later, since no mark is dated after today (`future_date`), so that month's counter holds
    exactly its marks up to `end`. The default period (the year to date) then reads counters alone."""
    if end < today:
        return end
    return (end.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


async def cells(
    session: AsyncSession, urns: Sequence[str], start: dt.date, end: dt.date, today: dt.date
) -> dict[Cell, Tally]:
    """Cell -> the tally of its pupils on roll in the period."""
    if not urns:
        return {}
    on_roll = _on_roll(urns, start, end)
    pupils = {
        Cell(*row[:5]): row[5]
        for row in await session.execute(select(*_CELL, func.count()).where(on_roll).group_by(*_CELL))
    }
    if (await session.connection()).dialect.name == "postgresql":
        # An LA's 60,000 pupils' totals are a hash of some 10 MB: in memory, not spilled to disk in
        # batches under the default 4 MB (this request's transaction only).
        await session.execute(text("SET LOCAL work_mem = '64MB'"))
    per_pupil = _per_pupil(select(Pupil.id).where(on_roll).scalar_subquery(), start, sessions_end(end, today))
    absent = per_pupil.c.authorised + per_pupil.c.unauthorised
    measured = per_pupil.c.possible > 0

    def reaching(threshold: Any) -> Any:
        at_least = absent * threshold.denominator >= per_pupil.c.possible * threshold.numerator
        return func.sum(case((and_(measured, at_least), 1), else_=0))

    query = (
        select(
            *_CELL,
            func.sum(case((measured, 1), else_=0)),
            reaching(PERSISTENT_THRESHOLD),
            reaching(SEVERE_THRESHOLD),
            func.sum(per_pupil.c.possible),
            func.sum(per_pupil.c.authorised),
            func.sum(per_pupil.c.unauthorised),
        )
        .select_from(per_pupil.join(Pupil, Pupil.id == per_pupil.c.pupil_id))
        .group_by(*_CELL)
    )
    sessions = {Cell(*row[:5]): [int(n or 0) for n in row[5:]] for row in await session.execute(query)}
    return {cell: Tally(count, *sessions.get(cell, [0] * 6)) for cell, count in pupils.items()}


def _per_pupil(pupil_ids: Any, start: dt.date, end: dt.date) -> Any:
    """Subquery: pupil_id, possible, authorised, unauthorised over [start, end] for these pupils."""
    months, edges = counters.split_period(start, end)
    parts = []
    if months is not None:
        counted = MarkMonthCount
        parts.append(
            select(
                counted.pupil_id.label("pupil_id"),
                (
                    counted.present
                    + counted.approved_educational_activity
                    + counted.authorised_absence
                    + counted.unauthorised_absence
                ).label("possible"),
                counted.authorised_absence.label("authorised"),
                counted.unauthorised_absence.label("unauthorised"),
            ).where(counted.month.between(*months), counted.pupil_id.in_(pupil_ids))
        )
    for edge in edges:
        present, approved, authorised, unauthorised = counters.category_sums()
        parts.append(
            select(
                Mark.pupil_id.label("pupil_id"),
                (present + approved + authorised + unauthorised).label("possible"),  # type: ignore[operator]
                authorised.label("authorised"),  # type: ignore[attr-defined]
                unauthorised.label("unauthorised"),  # type: ignore[attr-defined]
            )
            .where(Mark.date.between(*edge), Mark.pupil_id.in_(pupil_ids))
            .group_by(Mark.pupil_id)
        )
    rows = (parts[0] if len(parts) == 1 else union_all(*parts)).subquery()
    return (
        select(
            rows.c.pupil_id,
            func.sum(rows.c.possible).label("possible"),
            func.sum(rows.c.authorised).label("authorised"),
            func.sum(rows.c.unauthorised).label("unauthorised"),
        )
        .group_by(rows.c.pupil_id)
        .subquery()
    )


async def day_codes(
    session: AsyncSession, urns: Sequence[str], start: dt.date, end: dt.date
) -> list[tuple[dt.date, str, int]]:
    """(date, code, sessions) of the scope's marks in the period."""
    if not urns:
        return []
    query = (
        select(SchoolDayCode.date, SchoolDayCode.code, func.sum(SchoolDayCode.sessions))
        .where(SchoolDayCode.school_urn.in_(list(urns)), SchoolDayCode.date.between(start, end))
        .group_by(SchoolDayCode.date, SchoolDayCode.code)
    )
    return [(day, code, int(sessions)) for day, code, sessions in await session.execute(query)]
