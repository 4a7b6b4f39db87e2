"""Reading a pupil's marks and one mark's full history."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.auth import Principal, Role
from attendance_common.errors import NotFound
from registers.models import Mark, MarkChange, Pupil
from registers.schemas import ChangedBy, HistoryEntry, HistoryOut, MarkOut, MarksOut


async def list_marks(
    session: AsyncSession, *, pupil: Pupil, start: dt.date | None, end: dt.date | None
) -> MarksOut:
    """The pupil's current marks, oldest first, AM before PM."""
    query = select(Mark).where(Mark.pupil_id == pupil.id)
    if start is not None:
        query = query.where(Mark.date >= start)
    if end is not None:
        query = query.where(Mark.date <= end)
    marks = await session.scalars(query.order_by(Mark.date, Mark.session))
    return MarksOut(marks=[MarkOut.model_validate(mark, from_attributes=True) for mark in marks])


# Who may see the `sub` of whoever recorded or changed a mark (a staff member's or MIS's account
# identifier): those who work with the register. Parents and social workers, and any role added
# later until it is listed, see the role and name only (`sub` null).
SEES_WHO_CHANGED = frozenset({Role.ADMIN, Role.MIS, Role.SCHOOL_STAFF, Role.LA_OFFICER})


async def mark_history(
    session: AsyncSession, *, pupil: Pupil, date: dt.date, session_name: str, principal: Principal
) -> HistoryOut:
    """Oldest first: the original recording, then every amendment with who, when and why."""
    mark = await session.scalar(
        select(Mark).where(Mark.pupil_id == pupil.id, Mark.date == date, Mark.session == session_name)
    )
    if mark is None:
        raise NotFound("unknown_mark", f"no mark for {pupil.upn} on {date} {session_name}")
    show_sub = principal.role in SEES_WHO_CHANGED

    def by(sub: str, role: str, name: str | None) -> ChangedBy:
        return ChangedBy(sub=sub if show_sub else None, role=role, name=name)

    changes = (
        await session.scalars(select(MarkChange).where(MarkChange.mark_id == mark.id).order_by(MarkChange.id))
    ).all()
    original = HistoryEntry(
        code=changes[0].previous_code if changes else mark.code,
        previous_code=None,
        reason=None,
        changed_at=mark.recorded_at,
        changed_by=by(mark.recorded_by_sub, mark.recorded_by_role, mark.recorded_by_name),
    )
    amendments = [
        HistoryEntry(
            code=c.code,
            previous_code=c.previous_code,
            reason=c.reason,
            changed_at=c.changed_at,
            changed_by=by(c.changed_by_sub, c.changed_by_role, c.changed_by_name),
        )
        for c in changes
    ]
    return HistoryOut(entries=[original, *amendments])
