"""Pupil use cases: put on roll or update, and delete from the admission register."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.clock import now_utc
from attendance_common.errors import Conflict, Unprocessable
from attendance_common.events.registers import Characteristics, PupilDeleted, PupilUpserted
from attendance_common.messaging import add_event
from registers.models import Mark, Pupil, School
from registers.schemas import DeletionIn, PupilIn, PupilOut

SOURCE = "registers"
_OWN = ("given_name", "family_name", "date_of_birth", "year_group", "start_date")


def _record(data: PupilIn) -> dict[str, object]:
    """A body as the pupil's columns: its characteristics flattened, the rest as JSON."""
    return (
        data.model_dump(include=set(_OWN))
        | data.characteristics.model_dump()
        | {
            "social_worker": data.social_worker.model_dump(mode="json") if data.social_worker else None,
            "contacts": [contact.model_dump(mode="json") for contact in data.contacts],
        }
    )


def _characteristics(pupil: Pupil) -> Characteristics:
    """The stored pupil's characteristics, as its events and the API show them."""
    return Characteristics(
        fsm_eligible=pupil.fsm_eligible,
        sen_status=pupil.sen_status,
        has_social_worker=pupil.has_social_worker,
    )


async def upsert_pupil(
    session: AsyncSession, *, school: School, upn: str, data: PupilIn
) -> tuple[Pupil, bool]:
    """Put a pupil on roll or update their record; a deleted pupil sent again is re-admitted.

    Emits `attendance.pupil.upserted` when anything changed (MIS systems re-send whole rolls).
    """
    pupil = await session.scalar(select(Pupil).where(Pupil.school_urn == school.urn, Pupil.upn == upn))
    created = pupil is None
    record = _record(data)
    if pupil is None:
        pupil = Pupil(school_urn=school.urn, upn=upn)
        session.add(pupil)
    elif pupil.deleted_on is None and all(getattr(pupil, k) == v for k, v in record.items()):
        return pupil, False
    for name, value in record.items():
        setattr(pupil, name, value)
    pupil.deleted_on = pupil.deletion_ground = pupil.deletion_note = None
    pupil.updated_at = now_utc()
    add_event(session, pupil_upserted(pupil, school), source=SOURCE)
    return pupil, created


_NAMED = ("upn", "given_name", "family_name", "date_of_birth")


def _whose(pupil: Pupil, school: School) -> dict[str, Any]:
    """What every pupil event says of whose it is: the school, its LA, the pupil and their name."""
    return {"school_urn": school.urn, "la_code": school.la_code, **{k: getattr(pupil, k) for k in _NAMED}}


def pupil_upserted(pupil: Pupil, school: School) -> PupilUpserted:
    return PupilUpserted(
        **_whose(pupil, school),
        year_group=pupil.year_group,
        start_date=pupil.start_date,
        characteristics=_characteristics(pupil),
        social_worker=pupil.social_worker,
        contacts=pupil.contacts,
    )


_SHOWN = (*_OWN, "social_worker", "contacts", "school_urn", "upn", "deleted_on", "deletion_ground")


def pupil_out(pupil: Pupil) -> PupilOut:
    shown = {k: getattr(pupil, k) for k in _SHOWN}
    return PupilOut.model_validate(
        shown | {"characteristics": _characteristics(pupil), "on_roll": pupil.deleted_on is None}
    )


async def delete_pupil(
    session: AsyncSession, *, school: School, pupil: Pupil, data: DeletionIn, today: dt.date
) -> Pupil:
    """Delete a name on a regulation 9 ground: never backdated, never before the last mark."""
    if pupil.deleted_on is not None:
        raise Conflict("already_deleted", f"pupil {pupil.upn} was deleted on {pupil.deleted_on}")
    if data.date < today:
        raise Unprocessable("backdated_deletion", f"a deletion may not be backdated (today is {today})")
    last_mark = await session.scalar(select(func.max(Mark.date)).where(Mark.pupil_id == pupil.id))
    if last_mark is not None and data.date < last_mark:
        raise Unprocessable(
            "deletion_before_last_mark", f"the pupil has a mark on {last_mark}, after {data.date}"
        )
    pupil.deleted_on, pupil.deletion_ground, pupil.deletion_note = data.date, data.ground, data.note
    pupil.updated_at = now_utc()
    add_event(
        session,
        PupilDeleted(
            **_whose(pupil, school),
            ground=data.ground,
            date=data.date,
            note=data.note,
            contacts=pupil.contacts,
            social_worker=pupil.social_worker,
        ),
        source=SOURCE,
    )
    return pupil
