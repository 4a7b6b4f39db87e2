"""Marks per school, date and code (SchoolDayCode), kept with the marks in their own transaction.

A batch adds its new marks and moves each amendment from the old code to the new one: a report then
reads a period's series and reasons from a few rows per school day, never from the marks themselves.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.bulk import upsert_rows
from registers.models import Mark, Pupil, SchoolDayCode


def code_deltas(
    added: Iterable[tuple[dt.date, str]], changed: Iterable[tuple[dt.date, str, str]]
) -> dict[tuple[dt.date, str], int]:
    """(date, code) -> change in marks, from new (date, code)s and (date, old, new) amendments."""
    deltas: dict[tuple[dt.date, str], int] = defaultdict(int)
    for day, code in added:
        deltas[(day, code)] += 1
    for day, old, new in changed:
        deltas[(day, old)] -= 1
        deltas[(day, new)] += 1
    return {key: delta for key, delta in deltas.items() if delta}


async def apply_deltas(
    session: AsyncSession, school_urn: str, deltas: dict[tuple[dt.date, str], int]
) -> None:
    """One upsert, rows in key order: two batches of one school lock its rows in the same order."""
    rows = [
        {"school_urn": school_urn, "date": day, "code": code, "sessions": delta}
        for (day, code), delta in sorted(deltas.items())
    ]
    await upsert_rows(session, SchoolDayCode, rows, key=("school_urn", "date", "code"), add=("sessions",))


async def rebuild_day_codes(session: AsyncSession) -> None:
    """Recompute every school's rows from the marks (repair, or after loading marks in bulk)."""
    await session.execute(delete(SchoolDayCode))
    await session.execute(
        insert(SchoolDayCode).from_select(
            ["school_urn", "date", "code", "sessions"],
            select(Pupil.school_urn, Mark.date, Mark.code, func.count())
            .join(Pupil, Pupil.id == Mark.pupil_id)
            .group_by(Pupil.school_urn, Mark.date, Mark.code),
        )
    )
