"""Event handlers: decode, then call the use case. One transaction per consumed batch (the consumer's)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from alerts.evaluation import evaluate, pupil_state, upserts
from attendance_common.events.registers import (
    MARKS_READERS,
    MarksFacts,
    PupilDeleted,
    PupilUpserted,
    SchoolUpserted,
)
from attendance_common.messaging import Received, on


async def on_marks(session: AsyncSession, received: Received[MarksFacts]) -> None:
    """New or amended marks of one school (read by READERS)."""
    await evaluate.marks_changed(session, received.data)


async def on_school(session: AsyncSession, received: Received[SchoolUpserted]) -> None:
    data = received.data
    await upserts.put_school(session, data.urn, data.la_code, data.trust.id if data.trust else None)


async def on_pupil(session: AsyncSession, received: Received[PupilUpserted]) -> None:
    await evaluate.pupil_changed(session, received.data)


async def on_pupil_deleted(session: AsyncSession, received: Received[PupilDeleted]) -> None:
    await pupil_state.delete_pupil(session, received.data)


HANDLERS = {
    # Marks events are read as plain dicts of the fields the rules use (READERS), not their models.
    **dict.fromkeys(MARKS_READERS, on_marks),
    **on(on_school, SchoolUpserted),
    **on(on_pupil, PupilUpserted),
    **on(on_pupil_deleted, PupilDeleted),
}
READERS = MARKS_READERS
