"""What happens to a case, whoever causes it (a person or an alert): each change and its event together.

Use cases never commit; they add and flush, so the next query in the same transaction sees the change.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.auth import Principal
from attendance_common.clock import now_utc
from attendance_common.events import casework as events
from attendance_common.events.base import EventData
from attendance_common.messaging import add_event
from casework.models import Alert, Case, CasePupil, Pupil, Referral, StageEntry

SOURCE = "casework"


@dataclass(frozen=True)
class Actor:
    """Who made a change, as the history and the events record it."""

    sub: str
    role: str | None = None
    name: str | None = None

    @classmethod
    def of(cls, principal: Principal) -> Actor:
        return cls(principal.sub, principal.role.value, principal.name)


SYSTEM = Actor("system")


async def open_case_of(session: AsyncSession, family_key: str) -> Case | None:
    return await session.scalar(select(Case).where(Case.family_key == family_key, Case.status == "open"))


async def members(session: AsyncSession, case_id: str) -> list[CasePupil]:
    query = select(CasePupil).where(CasePupil.case_id == case_id)
    return list(await session.scalars(query.order_by(CasePupil.school_urn, CasePupil.upn)))


async def event_pupils(session: AsyncSession, case_id: str) -> list[events.CasePupil]:
    return [
        events.CasePupil(school_urn=m.school_urn, upn=m.upn, la_code=m.la_code)
        for m in await members(session, case_id)
    ]


async def add_case_event(session: AsyncSession, case: Case, event: type[EventData], **fields: Any) -> None:
    """Stage an event about the case: its id, family and pupils as they are now, with `fields`."""
    pupils = await event_pupils(session, case.id)
    add_event(
        session, event(case_id=case.id, family_key=case.family_key, pupils=pupils, **fields), source=SOURCE
    )


async def open_case(
    session: AsyncSession, family_key: str, *, stage: str, reason: str | None, by: Actor
) -> Case:
    """Open the family's case with every pupil of the family in it, and link their open alerts."""
    now = now_utc()
    case = Case(id=str(uuid.uuid4()), family_key=family_key, status="open", stage=stage, opened_at=now)
    session.add(case)
    await session.flush()
    family = list(await session.scalars(select(Pupil).where(Pupil.family_key == family_key)))
    for pupil in family:
        await join(session, case, pupil)
    session.add(_entry(case.id, stage, now, reason, by))
    await session.flush()
    await add_case_event(
        session, case, events.CaseOpened, stage=stage, reason=reason, opened_at=now, by=by.sub
    )
    return case


async def join(session: AsyncSession, case: Case, pupil: Pupil) -> None:
    """Put the pupil in the case, with its open alerts (alerts stay with the case once cleared)."""
    member = await session.get(CasePupil, (case.id, pupil.school_urn, pupil.upn))
    if member is None:
        session.add(
            CasePupil(case_id=case.id, school_urn=pupil.school_urn, upn=pupil.upn, la_code=pupil.la_code)
        )
    open_alerts = await session.scalars(
        select(Alert).where(
            Alert.school_urn == pupil.school_urn, Alert.upn == pupil.upn, Alert.status == "open"
        )
    )
    for alert in open_alerts:
        alert.case_id = case.id
    await session.flush()


async def leave(session: AsyncSession, case: Case, pupil: Pupil) -> None:
    """Take the pupil out of the case; its open alerts go with it, cleared ones stay as history."""
    await session.execute(
        delete(CasePupil).where(
            CasePupil.case_id == case.id, CasePupil.school_urn == pupil.school_urn, CasePupil.upn == pupil.upn
        )
    )
    open_alerts = await session.scalars(
        select(Alert).where(
            Alert.case_id == case.id,
            Alert.school_urn == pupil.school_urn,
            Alert.upn == pupil.upn,
            Alert.status == "open",
        )
    )
    for alert in open_alerts:
        alert.case_id = None
    await session.flush()


async def change_stage(
    session: AsyncSession, case: Case, stage: str, *, reason: str | None, by: Actor
) -> None:
    now = now_utc()
    before, case.stage = case.stage, stage
    session.add(_entry(case.id, stage, now, reason, by))
    await session.flush()
    await add_case_event(
        session,
        case,
        events.CaseStageChanged,
        from_stage=before,
        to_stage=stage,
        reason=reason,
        changed_at=now,
        by=by.sub,
    )


async def refer(
    session: AsyncSession, case: Case, *, reason: str, upn: str | None, alert_id: str | None
) -> Referral:
    """Refer the case to the local authority (the LA is told through `attendance.referral.made`)."""
    referral = Referral(
        id=str(uuid.uuid4()),
        case_id=case.id,
        to="local_authority",
        reason=reason,
        upn=upn,
        alert_id=alert_id,
        made_at=now_utc(),
    )
    session.add(referral)
    await session.flush()
    await add_case_event(
        session,
        case,
        events.ReferralMade,
        to="local_authority",
        reason=reason,
        upn=upn,
        made_at=referral.made_at,
    )
    return referral


async def close(session: AsyncSession, case: Case, *, outcome: str, note: str | None, by: Actor) -> None:
    case.status, case.closed_at = "closed", now_utc()
    case.outcome, case.close_note, case.closed_by = outcome, note, by.sub
    await session.flush()
    await add_case_event(
        session, case, events.CaseClosed, outcome=outcome, note=note, closed_at=case.closed_at
    )


def _entry(case_id: str, stage: str, at: dt.datetime, reason: str | None, by: Actor) -> StageEntry:
    return StageEntry(
        case_id=case_id, stage=stage, at=at, reason=reason, by=by.sub, by_role=by.role, by_name=by.name
    )
