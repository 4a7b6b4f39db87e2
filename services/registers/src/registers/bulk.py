"""The bulk reads and writes behind a batch of marks, tuned per backend.

PostgreSQL gets arrays (`= ANY($1)`) and COPY through the transaction's own asyncpg connection:
SQLAlchemy's compilation of 1,000-value IN lists and of ORM bulk inserts cost more than the
database work itself (profiled in tests/bench). SQLite, the embedded default, uses plain Core.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import asyncpg
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.bulk import driver_connection
from registers.models import Mark, Pupil

Key = tuple[int, dt.date, str]  # (pupil id, date, session)
MARK_COLUMNS = (
    "pupil_id",
    "date",
    "session",
    "code",
    "minutes_late",
    "recorded_at",
    "recorded_by_sub",
    "recorded_by_role",
    "recorded_by_name",
)
_CONNECTION = "registers.bulk.asyncpg"  # session.info key: (transaction, its asyncpg connection)
_CHUNK = 5_000  # keeps SQLite's IN (...) lists under its bind-parameter limit


async def asyncpg_connection(session: AsyncSession) -> asyncpg.Connection | None:
    """The transaction's asyncpg connection on PostgreSQL, None on SQLite.

    Looked up once a transaction (each look-up is two greenlet switches through SQLAlchemy): a
    transaction keeps its connection to the end.
    """
    transaction = session.sync_session.get_transaction()
    cached = session.info.get(_CONNECTION)
    if transaction is not None and cached is not None and cached[0] is transaction:
        return cached[1]
    pg = await driver_connection(session)
    if transaction is not None:
        session.info[_CONNECTION] = (transaction, pg)
    return pg


async def fetch_on_postgres(session: AsyncSession, query: str, *args: Any) -> list[asyncpg.Record] | None:
    """The rows of a query through the transaction's asyncpg connection on PostgreSQL; None on
    SQLite, where the caller reads the same with SQLAlchemy Core."""
    pg = await asyncpg_connection(session)
    return None if pg is None else await pg.fetch(query, *args)


async def pupils_by_upn(session: AsyncSession, urn: str, upns: Iterable[str]) -> dict[str, Any]:
    """upn -> row with `id`, `start_date`, `deleted_on` for those UPNs on this school's register."""
    upns = sorted(set(upns))
    rows = await fetch_on_postgres(
        session,
        "SELECT id, upn, start_date, deleted_on FROM pupils WHERE school_urn = $1 AND upn = ANY($2::text[])",
        urn,
        upns,
    )
    if rows is not None:
        return {row["upn"]: _Row(row) for row in rows}
    found: dict[str, Any] = {}
    for chunk in _chunks(upns):
        result = await session.execute(
            select(Pupil.id, Pupil.upn, Pupil.start_date, Pupil.deleted_on).where(
                Pupil.school_urn == urn, Pupil.upn.in_(chunk)
            )
        )
        found.update({row.upn: row for row in result})
    return found


async def existing_marks(
    session: AsyncSession, pupil_ids: Iterable[int], dates: Iterable[dt.date]
) -> dict[Key, tuple[int, str]]:
    """(pupil, date, session) -> (mark id, code) for marks already stored on those dates."""
    ids, days = sorted(set(pupil_ids)), sorted(set(dates))
    if not ids:
        return {}
    rows = await fetch_on_postgres(
        session,
        "SELECT id, pupil_id, date, session, code FROM marks "
        "WHERE pupil_id = ANY($1::bigint[]) AND date = ANY($2::date[])",
        ids,
        days,
    )
    if rows is not None:
        return {(r["pupil_id"], r["date"], r["session"]): (r["id"], r["code"]) for r in rows}
    existing: dict[Key, tuple[int, str]] = {}
    for chunk in _chunks(ids):
        result = await session.execute(
            select(Mark.id, Mark.pupil_id, Mark.date, Mark.session, Mark.code).where(
                Mark.pupil_id.in_(chunk), Mark.date.in_(days)
            )
        )
        existing.update({(r.pupil_id, r.date, r.session): (r.id, r.code) for r in result})
    return existing


async def insert_marks(session: AsyncSession, rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert new marks, each a tuple in MARK_COLUMNS order; a concurrent writer's duplicate is an
    IntegrityError (the caller retries)."""
    if not rows:
        return
    pg = await asyncpg_connection(session)
    if pg is None:
        await session.execute(insert(Mark), [dict(zip(MARK_COLUMNS, row, strict=True)) for row in rows])
        return
    try:
        await pg.copy_records_to_table("marks", records=rows, columns=MARK_COLUMNS)
    except asyncpg.UniqueViolationError as error:
        raise IntegrityError("COPY marks", None, error) from error


async def mark_ids(session: AsyncSession, keys: Iterable[Key]) -> dict[Key, int]:
    """Ids of just-inserted marks (COPY returns none); only amendments within one batch need them."""
    keys = list(keys)
    found = await existing_marks(session, (k[0] for k in keys), (k[1] for k in keys))
    return {key: found[key][0] for key in keys}


class _Row:
    """Attribute access to an asyncpg record, like SQLAlchemy's rows."""

    __slots__ = ("deleted_on", "id", "start_date", "upn")

    def __init__(self, record: asyncpg.Record) -> None:
        self.id, self.upn = record["id"], record["upn"]
        self.start_date, self.deleted_on = record["start_date"], record["deleted_on"]


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
