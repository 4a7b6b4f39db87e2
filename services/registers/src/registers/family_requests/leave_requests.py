"""Leave requests (regulation 11): what a request takes from its body and what its events carry
(`lifecycle` submits, decides and withdraws them as it does absence reports).

Granted leave is read back on every batch of marks (`granted_between`), so a mark inside it with
another code than the expected one is flagged in the marks answer's `warnings`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.events import requests as events
from registers.bulk import fetch_on_postgres
from registers.family_requests import lifecycle, rules
from registers.family_requests.schemas import LeaveIn
from registers.models import LeaveRequest


def _columns(data: LeaveIn, today: dt.date) -> dict[str, object]:
    """A request's own columns, only ever in advance, and the code granted leave would record."""
    last_date = data.last_date or data.first_date
    rules.check_leave_span(data.first_date, last_date, today)
    return data.model_dump() | {"last_date": last_date, "expected_code": rules.expected_code(data.category)}


KIND = lifecycle.Kind(
    model=LeaveRequest,
    name="leave request",
    waiting="pending",
    needs_note="refused",
    submitted=events.LeaveRequestSubmitted,
    decided=events.LeaveRequestDecided,
    withdrawn=events.LeaveRequestWithdrawn,
    id_field="request_id",
    carried=("category", "expected_code"),  # not the reason's text
    columns=_columns,
)


GrantedLeave = tuple[int, dt.date, dt.date, str]  # (pupil id, first date, last date, expected code)


async def granted_between(
    session: AsyncSession, school_urn: str, first: dt.date, last: dt.date
) -> list[GrantedLeave]:
    """The school's granted leave overlapping `first`..`last`: one indexed query per batch of marks.

    By school rather than by the batch's pupils: a school has a handful of granted leaves at a time,
    and the lookup by school needs no array of thousands of pupil ids.
    """
    rows = await fetch_on_postgres(
        session,
        "SELECT pupil_id, first_date, last_date, expected_code FROM leave_requests "
        "WHERE school_urn = $1 AND status = 'granted' AND last_date >= $2 AND first_date <= $3",
        school_urn,
        first,
        last,
    )
    if rows is not None:
        return [(r["pupil_id"], r["first_date"], r["last_date"], r["expected_code"]) for r in rows]
    result = await session.execute(
        select(
            LeaveRequest.pupil_id, LeaveRequest.first_date, LeaveRequest.last_date, LeaveRequest.expected_code
        ).where(
            LeaveRequest.school_urn == school_urn,
            LeaveRequest.status == "granted",
            LeaveRequest.last_date >= first,
            LeaveRequest.first_date <= last,
        )
    )
    return [(r.pupil_id, r.first_date, r.last_date, r.expected_code) for r in result]


async def marks_inside_leave(
    session: AsyncSession, school_urn: str, marks: Sequence[tuple[Any, int]], days: Collection[dt.date]
) -> list[tuple[Any, str]]:
    """Of a batch's marks (each an item with `date` and `code`, and its pupil id), those inside the
    pupil's granted leave with a code other than the expected one, each with that code.

    One query for the batch; then a dict lookup per mark, and only when the school has granted
    leave on the batch's days at all.
    """
    if not marks or not days:
        return []
    granted = await granted_between(session, school_urn, min(days), max(days))
    if not granted:
        return []
    leave = rules.leave_by_day(granted, days)
    return [
        (item, expected)
        for item, pupil_id in marks
        if (expected := leave.get((pupil_id, item.date))) is not None and expected != item.code
    ]
