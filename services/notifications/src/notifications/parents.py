"""The parent app's use cases: a parent's children, their attendance and the message feed.

A parent is a contact with parental responsibility whose email is the token's (case-insensitive);
any other child is 404, as its existence is private.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.audit import note_pupil, note_pupils
from attendance_common.auth import Principal
from attendance_common.bounds import EARLIEST_DATE, LATEST_DATE
from attendance_common.clock import today_in_london
from attendance_common.codes import CODES, Counts, academic_year_start, summarise
from attendance_common.copying import copy_as
from attendance_common.errors import NotFound, Unprocessable
from attendance_common.pagination import keyset_page
from notifications import access
from notifications.models import Mark, Message, Pupil
from notifications.schemas import ChildAttendance, ChildOut, ChildrenOut, MessageOut, MessagesOut, RecentMark

RECENT_SCHOOL_DAYS = 10


async def list_children(session: AsyncSession, principal: Principal) -> ChildrenOut:
    pupils = list(
        await session.scalars(
            access.own_children(principal, today_in_london()).order_by(
                Pupil.given_name, Pupil.upn, Pupil.school_urn
            )
        )
    )
    note_pupils((p.school_urn, p.upn) for p in pupils)
    return ChildrenOut(
        children=[
            ChildOut(
                school_urn=p.school_urn,
                upn=p.upn,
                given_name=p.given_name or "",
                family_name=p.family_name or "",
                year_group=p.year_group,
            )
            for p in pupils
        ]
    )


async def own_child(session: AsyncSession, principal: Principal, upn: str, school: str | None) -> Pupil:
    """The parent's child with this UPN (at `school`, else the latest enrolment), or 404."""
    query = access.own_children(principal, today_in_london()).where(Pupil.upn == upn.strip().upper())
    if school:
        query = query.where(Pupil.school_urn == school)
    pupil = await session.scalar(query.order_by(Pupil.start_date.desc()).limit(1))
    if pupil is None:
        raise NotFound("unknown_child", f"no child {upn} of yours")
    note_pupil(pupil.upn, pupil.school_urn)
    return pupil


async def child_attendance(
    session: AsyncSession,
    principal: Principal,
    upn: str,
    *,
    school: str | None,
    start: dt.date | None,
    end: dt.date | None,
) -> ChildAttendance:
    """The registers summary for the period (default: the academic year containing `to`, which
    defaults to today) and the marks of the pupil's last 10 school days up to `to`."""
    pupil = await own_child(session, principal, upn, school)
    for name, day in (("from", start), ("to", end)):  # the academic year before 0001-01-01 was a 500
        if day is not None and not EARLIEST_DATE <= day <= LATEST_DATE:
            raise Unprocessable(
                "bad_period", f"{name} ({day}) must be between {EARLIEST_DATE} and {LATEST_DATE}"
            )
    end = end or today_in_london()
    start = start or academic_year_start(end)
    if start > end:
        raise Unprocessable("bad_period", f"from ({start}) is after to ({end})")
    in_period = await session.scalars(
        select(Mark.code).where(Mark.pupil_id == pupil.id, Mark.date >= start, Mark.date <= end)
    )
    counts = Counts()
    for code in in_period:
        if code in CODES:
            counts = counts.add_code(CODES[code])
    return ChildAttendance.model_validate(
        {
            "upn": pupil.upn,
            "school_urn": pupil.school_urn,
            "from": start,
            "to": end,
            **summarise(counts),
            "recent_marks": await recent_marks(session, pupil.id, end),
        }
    )


async def recent_marks(session: AsyncSession, pupil_id: int, end: dt.date) -> list[RecentMark]:
    """Both sessions of the last 10 dates up to `end` with a mark other than `#` (a school day)."""
    days = list(
        await session.scalars(
            select(Mark.date)
            .where(Mark.pupil_id == pupil_id, Mark.date <= end, Mark.code != "#")
            .group_by(Mark.date)
            .order_by(Mark.date.desc())
            .limit(RECENT_SCHOOL_DAYS)
        )
    )
    if not days:
        return []
    marks = await session.scalars(
        select(Mark)
        .where(Mark.pupil_id == pupil_id, Mark.date >= min(days), Mark.date <= max(days))
        .order_by(Mark.date, Mark.session)
    )
    return [
        RecentMark(date=m.date, session=m.session, code=m.code, meaning=CODES[m.code].meaning)
        for m in marks
        if m.code in CODES
    ]


async def list_messages(
    session: AsyncSession, principal: Principal, *, limit: int, after: str | None
) -> MessagesOut:
    """The parent's feed, newest first; `next` pages on to older messages and never shifts when
    new messages arrive (the cursor is the last message's id)."""
    query = select(Message).where(Message.parent_email == (principal.email or ""))
    page, cursor = await keyset_page(session, query, (Message.id,), limit=limit, after=after, descending=True)
    note_pupils((m.school_urn, m.upn) for m in page)
    return MessagesOut(messages=[copy_as(MessageOut, m, id=str(m.id)) for m in page], next=cursor)
