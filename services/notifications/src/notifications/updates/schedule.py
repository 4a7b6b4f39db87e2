"""A school's weekly schedule of updates, and which of them are due (architecture.md "Work driven
by the clock"): a school's latest slot at or before now is due when the schedule was already in
force at the slot and its week's run is not claimed yet. The run's claim, not this check, is what
stops a second worker or a repeated tick sending twice."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from notifications.updates import rules
from notifications.updates.models import UpdateRun, UpdateSchedule
from notifications.updates.runs import Period


@dataclass(frozen=True)
class Schedule:
    frequency: str
    weekday: str
    time: dt.time


OFF = Schedule("off", rules.DEFAULT_WEEKDAY, rules.DEFAULT_TIME)


async def of_school(session: AsyncSession, urn: str) -> Schedule:
    row = await session.get(UpdateSchedule, urn)
    return Schedule(row.frequency, row.weekday, row.time) if row else OFF


async def put(session: AsyncSession, urn: str, schedule: Schedule, by: str, now: dt.datetime) -> bool:
    """Store the school's schedule; True when it had none stored before."""
    row = await session.get(UpdateSchedule, urn)
    created = row is None
    if row is None:
        row = UpdateSchedule(school_urn=urn)
        session.add(row)
    row.frequency, row.weekday, row.time = schedule.frequency, schedule.weekday, schedule.time
    row.updated_at, row.updated_by = now, by[:200]
    return created


async def due(session: AsyncSession, now: dt.datetime) -> list[Period]:
    """The weekly runs due at `now` and not claimed yet: each school's latest slot's week."""
    schedules = await session.scalars(select(UpdateSchedule).where(UpdateSchedule.frequency == "weekly"))
    wanted: list[Period] = []
    for row in schedules:
        slot = rules.latest_slot(now, row.weekday, row.time)
        if slot < row.updated_at:  # set after this week's time: from next week on
            continue
        start, end = rules.week_of(slot)
        wanted.append(Period(row.school_urn, start, end))
    if not wanted:
        return []
    claimed = await session.execute(
        select(UpdateRun.school_urn, UpdateRun.period_from, UpdateRun.period_to).where(
            UpdateRun.school_urn.in_([p.school_urn for p in wanted]),
            UpdateRun.period_to >= min(p.end for p in wanted),
        )
    )
    taken = {tuple(row) for row in claimed}
    return [p for p in wanted if (p.school_urn, p.start, p.end) not in taken]
