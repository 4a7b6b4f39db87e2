"""Emerging absence's window: the school's last `emerging_days` school days, and each pupil's
sessions over them (api.md Part 2 "Finding pupils who need support").

The counts follow by deltas, as the year counts do: a mark on a day inside the window adds to
them (an amendment moves a session between categories), and when new school days push the oldest
out, the marks of the days that left are taken off, read in one aggregate over the school's pupils
before the batch writes anything. So a mark costs the same whatever the pupil's history, and a
new school day costs one read of a day's marks of the school. A school's counts are built from its
marks only when the window's length changes (`/v1/rules`) or was never built (after migrating).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from alerts.models import Mark, Pupil, RecentCount, School, SchoolDay
from attendance_common.bulk import any_of, driver_connection, upsert_columns, upsert_rows
from attendance_common.codes import CODES, Counts

COLUMNS = ("present", "approved_educational_activity", "authorised_absence", "unauthorised_absence")
# code -> the index of its category in COLUMNS (codes that are not possible sessions: absent)
COLUMN = {code: COLUMNS.index(c.category.value) for code, c in CODES.items() if c.category.value in COLUMNS}


@dataclass(frozen=True)
class Window:
    """The school's window: its first school day (None: no school day yet) and the length the
    pupils' counts were built for (None: not built)."""

    start: dt.date | None = None
    days: int | None = None

    def covers(self, date: dt.date) -> bool:
        """Whether a mark of this date is counted (a window not built counts nothing yet)."""
        return self.days is not None and (self.start is None or date >= self.start)


@dataclass
class RecentChanges:
    """The window after a batch, and the counts the batch changed (pupil -> counts as they stand).

    `upns`: pupils whose counts changed although the batch had no mark of theirs (days left)."""

    window: Window = Window()
    counts: dict[int, Counts] = field(default_factory=dict)
    upns: dict[int, str] = field(default_factory=dict)


def counts_of(row: Sequence[int]) -> Counts:
    return Counts(*row[:4])


async def last_school_days(session: AsyncSession, school_urn: str, days: int) -> list[dt.date]:
    """The school's last `days` school days, latest first."""
    return list(
        await session.scalars(
            select(SchoolDay.date)
            .where(SchoolDay.school_urn == school_urn)
            .order_by(SchoolDay.date.desc())
            .limit(days)
        )
    )


async def advance(
    session: AsyncSession, school_urn: str, new_days: Sequence[dt.date]
) -> tuple[Window, dict[int, list[int]], dict[int, str]]:
    """Move the school's window over its new school days (already recorded); return it, the deltas
    taking the marks of the days that left off their pupils' counts, and those pupils' UPNs.

    Called before the batch writes its marks: the marks taken off are those the counts hold."""
    row = (
        await session.execute(select(School.recent_from, School.recent_days).where(School.urn == school_urn))
    ).one()
    window = Window(row.recent_from, row.recent_days)
    if window.days is None or not new_days:
        return window, {}, {}
    latest = await last_school_days(session, school_urn, window.days)
    start = latest[-1]
    deltas: dict[int, list[int]] = {}
    upns: dict[int, str] = {}
    if window.start is not None and start > window.start:
        left = list(
            await session.scalars(
                select(SchoolDay.date).where(
                    SchoolDay.school_urn == school_urn, SchoolDay.date >= window.start, SchoolDay.date < start
                )
            )
        )
        for pupil_id, upn, counts in await _tally_days(session, school_urn, left):
            deltas[pupil_id] = [-n for n in counts]
            upns[pupil_id] = upn
    if start != window.start:
        await session.execute(update(School).where(School.urn == school_urn).values(recent_from=start))
    return Window(start, window.days), deltas, upns


async def add_counts(session: AsyncSession, deltas: Mapping[int, Sequence[int]]) -> dict[int, Counts]:
    """Add the deltas; return those pupils' counts as they now stand."""
    pupils = [p for p, d in deltas.items() if any(d)]
    if not pupils:
        return {}
    columns: dict[str, list[int]] = {"pupil_id": pupils}
    columns |= {name: [deltas[p][i] for p in pupils] for i, name in enumerate(COLUMNS)}
    stored = await upsert_columns(
        session, RecentCount, columns, key=("pupil_id",), add=COLUMNS, returning=("pupil_id", *COLUMNS)
    )
    return {row[0]: counts_of(row[1:]) for row in stored}


async def rebuild(session: AsyncSession, school_urn: str, days: int) -> RecentChanges:
    """Count every pupil of the school over its last `days` school days from their marks (a window
    of another length, or none yet); every pupil of the school is in the answer, to be judged."""
    latest = await last_school_days(session, school_urn, days)
    start = latest[-1] if latest else None
    pupils = {
        pupil_id: upn
        for pupil_id, upn in await session.execute(
            select(Pupil.id, Pupil.upn).where(Pupil.school_urn == school_urn)
        )
    }
    school_pupils = select(Pupil.id).where(Pupil.school_urn == school_urn).scalar_subquery()
    await session.execute(delete(RecentCount).where(RecentCount.pupil_id.in_(school_pupils)))
    counted = await _tally(session, school_urn, Mark.date >= start) if start else []
    rows = [{"pupil_id": p, **dict(zip(COLUMNS, c, strict=True))} for p, _, c in counted]
    await upsert_rows(session, RecentCount, rows, key=("pupil_id",), replace=COLUMNS)
    await session.execute(
        update(School).where(School.urn == school_urn).values(recent_from=start, recent_days=days)
    )
    found = {p: Counts(*c) for p, _, c in counted}
    return RecentChanges(Window(start, days), {p: found.get(p, Counts()) for p in pupils}, pupils)


async def read_counts(session: AsyncSession, pupil_ids: Iterable[int]) -> dict[int, Counts]:
    """The stored counts of these pupils (a pupil without a row has none)."""
    ids = sorted(set(pupil_ids))
    if not ids:
        return {}
    rows = await session.execute(
        select(RecentCount.pupil_id, *(getattr(RecentCount, c) for c in COLUMNS)).where(
            RecentCount.pupil_id.in_(ids)
        )
    )
    found = {row[0]: counts_of(row[1:]) for row in rows}
    return {p: found.get(p, Counts()) for p in ids}


async def _tally_days(
    session: AsyncSession, school_urn: str, days: Sequence[dt.date]
) -> list[tuple[int, str, list[int]]]:
    """`_tally` of the school's marks on these days: every new school day reads one day's marks of
    the school, so on PostgreSQL straight through asyncpg (SQLAlchemy's rows cost more than the
    query), by the school's pupil ids and the dates (the marks' primary key)."""
    pg = await driver_connection(session)
    if pg is None:
        return await _tally(session, school_urn, Mark.date.in_(list(days)))
    upns = dict(await pg.fetch("SELECT id, upn FROM pupils WHERE school_urn = $1", school_urn))
    if not upns:
        return []
    rows = await pg.fetch(
        "SELECT pupil_id, code, count(*) FROM marks "
        "WHERE pupil_id = ANY($1::bigint[]) AND date = ANY($2::date[]) GROUP BY pupil_id, code",
        list(upns),
        list(days),
    )
    return _by_pupil(upns, rows)


async def _tally(
    session: AsyncSession, school_urn: str, dates: ColumnElement[bool]
) -> list[tuple[int, str, list[int]]]:
    """(pupil id, UPN, sessions per category) of the school's pupils' marks on `dates` (a condition
    on Mark.date). The school's pupil ids are read first and named in the marks' query, so the
    marks' primary key (pupil, date) does the reading whatever the size of the table."""
    upns = dict(
        (await session.execute(select(Pupil.id, Pupil.upn).where(Pupil.school_urn == school_urn))).all()
    )
    if not upns:
        return []
    dialect = session.get_bind().dialect.name
    rows = await session.execute(
        select(Mark.pupil_id, Mark.code, func.count())
        .where(any_of(Mark.pupil_id, list(upns), dialect), dates)
        .group_by(Mark.pupil_id, Mark.code)
    )
    return _by_pupil(upns, rows)


def _by_pupil(upns: dict[int, str], rows: Iterable[Any]) -> list[tuple[int, str, list[int]]]:
    """(pupil id, UPN, sessions per category) from rows of (pupil id, code, sessions)."""
    found: dict[int, list[int]] = {}
    for pupil_id, code, sessions in rows:
        column = COLUMN.get(code)
        if column is not None:
            found.setdefault(pupil_id, [0] * len(COLUMNS))[column] += sessions
    return [(p, upns[p], counts) for p, counts in found.items()]
