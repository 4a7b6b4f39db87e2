"""Use cases of keeping parents informed: sending a school's updates now, its weekly schedule,
and a parent's preferences."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.auth import Principal, Role
from attendance_common.clock import today_in_london
from attendance_common.errors import Forbidden
from notifications.updates import access, preferences, rules, runs, schedule
from notifications.updates.schemas import (
    PreferencesIn,
    PreferencesOut,
    RunOut,
    ScheduleIn,
    ScheduleOut,
    UpdatesIn,
)


async def send_updates(
    session: AsyncSession, principal: Principal, urn: str, body: UpdatesIn, now: dt.datetime
) -> tuple[RunOut, bool]:
    """Send the school's updates for the period now; the same period again sends nothing and
    answers the first run. True when this call made the run."""
    await access.school_for(session, principal, urn, write=True)
    rules.check_period(body.from_, body.to, today_in_london(now))
    period = runs.Period(urn, body.from_, body.to)
    run, created = await runs.send_updates(session, period, requested_by=principal.sub, now=now)
    return RunOut(id=run.id, pupils=run.pupils, messages=run.messages), created


async def get_schedule(session: AsyncSession, principal: Principal, urn: str) -> ScheduleOut:
    await access.school_for(session, principal, urn, write=False)
    return _schedule_out(await schedule.of_school(session, urn))


async def put_schedule(
    session: AsyncSession, principal: Principal, urn: str, body: ScheduleIn, now: dt.datetime
) -> tuple[ScheduleOut, bool]:
    """Set the school's weekly updates (or `off`); True when it had no schedule stored before."""
    await access.school_for(session, principal, urn, write=True)
    frequency, weekday, time = rules.check_schedule(body.frequency, body.weekday, body.time)
    stored = schedule.Schedule(frequency, weekday, time)
    created = await schedule.put(session, urn, stored, principal.sub, now)
    return _schedule_out(stored), created


def _schedule_out(stored: schedule.Schedule) -> ScheduleOut:
    return ScheduleOut(frequency=stored.frequency, weekday=stored.weekday, time=f"{stored.time:%H:%M}")


async def get_preferences(session: AsyncSession, principal: Principal) -> PreferencesOut:
    """The parent's preferences (all on until they change them); an admin has none and sees the default."""
    found, _ = await preferences.of_parent(session, principal.email or "")
    return PreferencesOut(email=found.email, sms=found.sms, attendance_updates=found.attendance_updates)


async def put_preferences(
    session: AsyncSession, principal: Principal, body: PreferencesIn, now: dt.datetime
) -> tuple[PreferencesOut, bool]:
    """Store the parent's preferences (by the token's email); True when they had none stored."""
    if principal.role is not Role.PARENT or not principal.email:
        raise Forbidden("forbidden_role", "preferences are a parent's own: only a parent may set them")
    wanted = preferences.Preferences(
        email=body.email, sms=body.sms, attendance_updates=body.attendance_updates
    )
    created = await preferences.put(session, principal.email, wanted, now)
    return PreferencesOut(**body.model_dump()), created
