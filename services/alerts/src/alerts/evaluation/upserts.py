"""The alerts service's bulk writes: projections and per-pupil counters, in one statement each."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from alerts.models import Mark, Pupil, School, SchoolDay, WeekCount, YearCount
from attendance_common.bulk import any_of, driver_connection, upsert_columns, upsert_rows

YEAR_COLUMNS = (
    "present",
    "approved_educational_activity",
    "authorised_absence",
    "unauthorised_absence",
    "illness_days",
)


async def ensure_school(session: AsyncSession, urn: str, la_code: str | None) -> None:
    await upsert_rows(
        session,
        School,
        [{"urn": urn, "la_code": la_code}],
        key=("urn",),
        replace=("la_code",) if la_code else (),
    )


async def put_school(session: AsyncSession, urn: str, la_code: str, trust_id: str | None) -> None:
    """The school as registers last described it: its LA and its trust (None: in no trust)."""
    row = {"urn": urn, "la_code": la_code, "trust_id": trust_id}
    await upsert_rows(session, School, [row], key=("urn",), replace=("la_code", "trust_id"))


async def pupil_ids(
    session: AsyncSession, school_urn: str, upns: Sequence[str]
) -> dict[str, tuple[int, bool]]:
    """upn -> (pupil id, has a social worker) at this school (every batch asks this for 1,000 UPNs:
    the hot path)."""
    pg = await driver_connection(session)
    if pg is not None:  # asyncpg directly: SQLAlchemy's array binding and rows cost 3x the query
        rows = await pg.fetch(
            "SELECT upn, id, has_social_worker FROM pupils WHERE school_urn = $1 AND upn = ANY($2::text[])",
            school_urn,
            list(upns),
        )
        return {upn: (pupil_id, flag) for upn, pupil_id, flag in rows}
    found: dict[str, tuple[int, bool]] = {}
    dialect = (await session.connection()).dialect.name
    for start in range(0, len(upns), 5_000):
        rows = await session.execute(
            select(Pupil.upn, Pupil.id, Pupil.has_social_worker).where(
                Pupil.school_urn == school_urn, any_of(Pupil.upn, upns[start : start + 5_000], dialect)
            )
        )
        found.update({upn: (pupil_id, flag) for upn, pupil_id, flag in rows})
    return found


async def insert_pupils(
    session: AsyncSession, school_urn: str, la_code: str | None, upns: Sequence[str]
) -> None:
    """Stubs for pupils seen in marks before their pupil event (the topics are not ordered together)."""
    await upsert_rows(
        session,
        Pupil,
        [
            {"school_urn": school_urn, "upn": upn, "la_code": la_code, "has_social_worker": False}
            for upn in upns
        ],
        key=("school_urn", "upn"),
    )


async def insert_marks(
    session: AsyncSession, school_urn: str, rows: Sequence[tuple[int, dt.date, str, str]]
) -> None:
    """Sessions that had no code: COPY on PostgreSQL (a morning's register is all new marks)."""
    pg = await driver_connection(session)
    if pg is None or not rows:
        await upsert_marks(session, school_urn, rows)
        return
    await pg.copy_records_to_table(
        "marks",
        records=[(p, d, s, c, school_urn) for p, d, s, c in rows],
        columns=("pupil_id", "date", "session", "code", "school_urn"),
    )


async def upsert_marks(
    session: AsyncSession, school_urn: str, rows: Sequence[tuple[int, dt.date, str, str]]
) -> None:
    await upsert_rows(
        session,
        Mark,
        [
            {"pupil_id": p, "date": d, "session": s, "code": c, "school_urn": school_urn}
            for p, d, s, c in rows
        ],
        key=("pupil_id", "date", "session"),
        replace=("code",),
    )


YearCounts = tuple[int, int, int, int, int]  # YEAR_COLUMNS' values


async def add_year_counts(
    session: AsyncSession, deltas: Mapping[tuple[int, dt.date], Sequence[int]]
) -> dict[tuple[int, dt.date], YearCounts]:
    """Add the deltas; return the counts of those (pupil, year)s as they now stand."""
    keys, added = list(deltas), list(deltas.values())
    columns: dict[str, list[Any]] = {"pupil_id": [p for p, _ in keys], "year_start": [y for _, y in keys]}
    columns |= {name: [d[i] for d in added] for i, name in enumerate(YEAR_COLUMNS)}
    stored = await upsert_columns(
        session,
        YearCount,
        columns,
        key=("pupil_id", "year_start"),
        add=YEAR_COLUMNS,
        returning=("pupil_id", "year_start", *YEAR_COLUMNS),
    )
    return {(row[0], row[1]): row[2:] for row in stored}


async def add_week_counts(session: AsyncSession, deltas: Mapping[tuple[int, dt.date], int]) -> None:
    rows = [{"pupil_id": p, "week": w, "unauthorised": n} for (p, w), n in deltas.items()]
    await upsert_rows(session, WeekCount, rows, key=("pupil_id", "week"), add=("unauthorised",))


async def latest_school_day(session: AsyncSession, school_urn: str) -> dt.date | None:
    latest: dt.date | None = await session.scalar(
        select(func.max(SchoolDay.date)).where(SchoolDay.school_urn == school_urn)
    )
    return latest


async def add_school_days(session: AsyncSession, school_urn: str, dates: Iterable[dt.date]) -> list[dt.date]:
    """Record the school's school days; return those that are new (one statement: a register's
    date or two, inserted unless known, the inserted ones returned)."""
    rows = [{"school_urn": school_urn, "date": d} for d in sorted(set(dates))]
    if not rows:
        return []
    insert = pg_insert if (await session.connection()).dialect.name == "postgresql" else sqlite_insert
    statement = insert(SchoolDay).values(rows).on_conflict_do_nothing().returning(SchoolDay.date)
    return sorted(await session.scalars(statement))
