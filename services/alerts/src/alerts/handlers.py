"""Event handlers: decode, then call the use case. One transaction per consumed batch (the consumer's)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from alerts.evaluation import upserts
from alerts.evaluation.evaluate import Evaluation
from alerts.evaluation.pupil_state import (
    READER,
    BatchChanges,
    MarksFacts,
    PupilChanges,
    apply_marks,
    ensure_pupils,
    pupil_days,
)
from alerts.models import Alert, Mark, Pupil, RuleScope
from alerts.rules import Thresholds, resolve
from attendance_common.clock import now_utc
from attendance_common.codes import academic_year_end, academic_year_start
from attendance_common.events.registers import (
    MarksAmended,
    MarksRecorded,
    PupilDeleted,
    PupilUpserted,
    SchoolUpserted,
)
from attendance_common.messaging import Received
from attendance_common.scopes import stored_settings


async def thresholds_for(session: AsyncSession, school_urn: str, la_code: str | None) -> Thresholds:
    return resolve(await stored_settings(session, RuleScope), school_urn, la_code)


async def on_marks(session: AsyncSession, received: Received) -> None:
    """New or amended marks of one school (read by READERS): update each pupil's state, then the alerts."""
    data: MarksFacts = received.data
    urn, la_code = data["school_urn"], data["la_code"]
    changes = await apply_marks(session, school_urn=urn, la_code=la_code, marks=data["marks"])
    thresholds = await thresholds_for(session, urn, la_code)
    await Evaluation(session, changes, thresholds, now_utc()).run()


async def on_school(session: AsyncSession, received: Received) -> None:
    data = received.data
    assert isinstance(data, SchoolUpserted)
    await upserts.put_school(session, data.urn, data.la_code, data.trust.id if data.trust else None)


async def on_pupil(session: AsyncSession, received: Received) -> None:
    """Keep the pupil's social-worker flag; when it changes, re-check this year's N/O dates."""
    data = received.data
    assert isinstance(data, PupilUpserted)
    await upserts.ensure_school(session, data.school_urn, data.la_code)
    ids, _ = await ensure_pupils(session, data.school_urn, data.la_code, [data.upn])
    pupil_id = ids[data.upn]
    pupil = await session.get(Pupil, pupil_id)
    assert pupil is not None
    changed = pupil.has_social_worker != data.characteristics.has_social_worker
    pupil.has_social_worker = data.characteristics.has_social_worker
    pupil.la_code, pupil.deleted_on = data.la_code, None
    email = data.social_worker.email if data.social_worker else None
    pupil.social_worker_email = email.lower() if email else None
    await session.flush()  # later events of the batch read the flag with plain queries
    if changed:
        await _recheck_social_worker_alerts(session, pupil, data.school_urn, data.la_code)


async def on_pupil_deleted(session: AsyncSession, received: Received) -> None:
    data = received.data
    assert isinstance(data, PupilDeleted)
    ids, _ = await ensure_pupils(session, data.school_urn, data.la_code, [data.upn])
    pupil_id = ids[data.upn]
    pupil = await session.get(Pupil, pupil_id)
    assert pupil is not None
    pupil.deleted_on = data.date
    await session.flush()


async def _recheck_social_worker_alerts(
    session: AsyncSession, pupil: Pupil, school_urn: str, la_code: str | None
) -> None:
    """The flag changed: this year's N/O dates may now raise, and any open social-worker alert,
    of whatever year, may clear."""
    open_dates = set(
        await session.scalars(
            select(Alert.date).where(
                Alert.pupil_id == pupil.id,
                Alert.type == "social_worker_unexplained_absence",
                Alert.status == "open",
            )
        )
    )
    latest = await session.scalar(
        select(Mark.date).where(Mark.pupil_id == pupil.id).order_by(Mark.date.desc()).limit(1)
    )
    if latest is None:
        return
    days = await pupil_days(session, pupil.id, academic_year_start(latest), academic_year_end(latest))
    wanted = {d: day for d, day in days.items() if {"N", "O"} & set(day)}
    for date in open_dates - wanted.keys():
        if date is not None:
            wanted.update(await pupil_days(session, pupil.id, date, date))
    change = PupilChanges(pupil.id, pupil.upn, {d: (day, day) for d, day in wanted.items()})
    evaluation = Evaluation(
        session,
        BatchChanges(school_urn, la_code, {pupil.id: change}, []),
        await thresholds_for(session, school_urn, la_code),
        now_utc(),
    )
    await evaluation.load_open([pupil.id])
    await evaluation.per_date(change, pupil.has_social_worker)
    await evaluation.ledger.write()


HANDLERS = {
    MarksRecorded.event_type: on_marks,
    MarksAmended.event_type: on_marks,
    SchoolUpserted.event_type: on_school,
    PupilUpserted.event_type: on_pupil,
    PupilDeleted.event_type: on_pupil_deleted,
}
# Marks events are read as plain dicts of the fields the rules use (state.READER).
READERS = {MarksRecorded.event_type: READER, MarksAmended.event_type: READER}
