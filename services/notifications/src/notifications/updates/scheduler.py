"""The worker's weekly updates (architecture.md "Work driven by the clock"): each tick asks the
clock for the time, finds the schools whose weekly slot has come and whose week is not claimed yet,
and sends each school's run in its own transaction (a week without a school day, a holiday, is
left out). Two workers, a restart or a repeated tick send
nothing twice: the run's claim is a unique row, written with its messages and events."""

from __future__ import annotations

import asyncio

import structlog

from attendance_common.clock import Clock, now_utc
from attendance_common.db import Database
from notifications.settings import Settings
from notifications.updates import runs, schedule
from notifications.updates.models import UpdateRun

log = structlog.get_logger(__name__)
BY = "schedule"


class UpdateScheduler:
    def __init__(self, settings: Settings, database: Database, clock: Clock = now_utc) -> None:
        self.settings = settings
        self.database = database
        self.clock = clock

    async def tick(self) -> list[UpdateRun]:
        """Send every run due now; answers the runs this tick made (not those another made)."""
        now = self.clock()
        async with self.database.transaction() as session:
            periods = [p for p in await schedule.due(session, now) if await runs.has_school_days(session, p)]
        made: list[UpdateRun] = []
        for period in periods:
            try:
                async with self.database.transaction() as session:
                    run, created = await runs.send_updates(session, period, requested_by=BY, now=now)
            except Exception as error:  # one school's failure must not hold up the others
                log.exception("attendance_updates_failed", school_urn=period.school_urn, error=repr(error))
                continue
            if created:
                made.append(run)
                log.info(
                    "attendance_updates_sent",
                    school_urn=run.school_urn,
                    period_from=str(run.period_from),
                    period_to=str(run.period_to),
                    pupils=run.pupils,
                    messages=run.messages,
                )
        return made

    async def run(self, stop: asyncio.Event) -> None:
        """Tick until `stop` is set; an outage (database away) is logged and the next tick tries again."""
        while not stop.is_set():
            try:
                await self.tick()
            except Exception as error:
                log.warning("attendance_updates_tick_failed", error=repr(error))
            try:
                await asyncio.wait_for(stop.wait(), timeout=self.settings.updates_tick_seconds)
            except TimeoutError:
                pass
