"""The weekly schedule of attendance updates (api.md "Keeping parents informed", architecture.md
"Work driven by the clock"): set and read through the API, run by the worker at the school's local
time with a clock the test drives (here across the end of British Summer Time), and never twice:
not for a repeated tick, two schedulers at once, two workers, or a restart."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from notifications_support import Feed, auth, contact, new_upn, new_urn, school_days
from sqlalchemy import func, select
from updates_support import present, register, slots, staff

from attendance_common.db import Database
from attendance_common.messaging import EventConsumer
from attendance_common.migrations import upgrade_database
from attendance_common.testing.workers import eventually, running
from notifications.handlers import BATCH_HANDLERS, HANDLERS, MARK_HANDLERS, MARK_READERS
from notifications.main import MIGRATIONS
from notifications.models import Message
from notifications.updates.models import UpdateRun
from notifications.updates.scheduler import UpdateScheduler
from notifications.worker import make_worker

pytestmark = pytest.mark.integration

SET_ON = dt.datetime(2026, 10, 19, 8, 0, tzinfo=dt.UTC)  # Monday 19 October, in summer time
WEEK_43 = school_days(dt.date(2026, 10, 19), 5)
WEEK_44 = school_days(dt.date(2026, 10, 26), 5)  # clocks went back on Sunday 25 October
WEEK_45 = school_days(dt.date(2026, 11, 2), 5)


class Clock:
    """The time as the test says it is."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def utc(month: int, day: int, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=dt.UTC)


@asynccontextmanager
async def app_time(app, now: dt.datetime) -> AsyncIterator[None]:
    app.state.clock = Clock(now)
    try:
        yield
    finally:
        app.state.clock = None


async def weekly_school(client, app, feed: Feed, weeks: list[list[dt.date]]) -> str:
    """A school with one pupil (two parents), present every session of `weeks`, updated on Fridays
    at 15:30 from Monday 19 October."""
    upn = new_upn()
    await feed.school()
    await feed.pupil(
        upn, [contact("c1", "Mum", feed.email("mum")), contact("c2", "Dad", feed.email("dad"), priority=2)]
    )
    await register(feed, upn, [(s, present(s)) for week in weeks for s in slots(week)])
    async with app_time(app, SET_ON):
        body = {"frequency": "weekly", "weekday": "friday", "time": "15:30"}
        answer = await client.put(
            f"/v1/schools/{feed.urn}/attendance-updates/schedule", json=body, headers=staff(feed)
        )
    assert answer.status_code == 201, answer.text
    return upn


async def tick(scheduler: UpdateScheduler, feed: Feed) -> list[UpdateRun]:
    """The runs a tick made for this test's school (the database holds other tests' schools)."""
    return [run for run in await scheduler.tick() if run.school_urn == feed.urn]


async def runs_of(database: Database, urn: str) -> list[tuple[dt.date, dt.date, str]]:
    async with database.transaction() as session:
        rows = await session.execute(
            select(UpdateRun.period_from, UpdateRun.period_to, UpdateRun.requested_by)
            .where(UpdateRun.school_urn == urn)
            .order_by(UpdateRun.period_from)
        )
        return [tuple(row) for row in rows]


async def updates_to(database: Database, email: str) -> int:
    async with database.transaction() as session:
        query = select(func.count()).where(Message.parent_email == email, Message.kind == "attendance_update")
        return int(await session.scalar(query) or 0)


async def test_the_schedule_is_read_back_and_checked(client, feed):
    await feed.school()
    path = f"/v1/schools/{feed.urn}/attendance-updates/schedule"
    assert (await client.get(path, headers=staff(feed))).json() == {
        "frequency": "off",
        "weekday": "friday",
        "time": "15:30",
    }
    put = await client.put(
        path, json={"frequency": "weekly", "weekday": "Thursday", "time": "09:05"}, headers=staff(feed)
    )
    again = await client.put(
        path, json={"frequency": "weekly", "weekday": "thursday", "time": "09:05"}, headers=staff(feed)
    )
    assert (put.status_code, again.status_code) == (201, 200)
    officer = auth("la_officer", la=feed.la_code)
    assert (await client.get(path, headers=officer)).json() == {
        "frequency": "weekly",
        "weekday": "thursday",
        "time": "09:05",
    }
    for body, code in (
        ({"frequency": "weekly", "weekday": "funday"}, "unknown_weekday"),
        ({"frequency": "weekly", "weekday": "friday", "time": "25:00"}, "bad_time"),
        ({"frequency": "daily"}, "unknown_frequency"),
    ):
        answer = await client.put(path, json=body, headers=staff(feed))
        assert (answer.status_code, answer.json()["code"]) == (422, code)
        assert answer.headers["content-type"] == "application/problem+json"
    other = auth("school_staff", schools=["999999"])
    assert (await client.get(path, headers=other)).json()["code"] == "forbidden_school"
    assert (await client.put(path, json={"frequency": "off"}, headers=officer)).json()[
        "code"
    ] == "forbidden_role"


async def test_the_worker_sends_at_the_schools_local_time_across_the_clock_change(
    client, notifications_app, feed, notifications_settings, notifications_database
):
    upn = await weekly_school(client, notifications_app, feed, [WEEK_43, WEEK_44])
    clock = Clock(utc(10, 23, 14, 29))  # Friday 23 October, 15:29 in London (BST)
    scheduler = UpdateScheduler(notifications_settings, notifications_database, clock)
    assert await tick(scheduler, feed) == []

    clock.now = utc(10, 23, 14, 30)  # 15:30 BST
    (first,) = await tick(scheduler, feed)
    assert (first.period_from, first.period_to, first.pupils, first.messages) == (
        WEEK_43[0],
        WEEK_43[-1],
        1,
        2,
    )
    assert await tick(scheduler, feed) == []  # a repeated tick

    clock.now = utc(10, 30, 14, 30)  # 14:30 GMT: a schedule kept in UTC would send now
    assert await tick(scheduler, feed) == []
    clock.now = utc(10, 30, 15, 29)
    assert await tick(scheduler, feed) == []
    clock.now = utc(10, 30, 15, 30)  # 15:30 GMT
    (second,) = await tick(scheduler, feed)
    assert (second.period_from, second.period_to) == (WEEK_44[0], WEEK_44[-1])

    clock.now = utc(11, 6, 16, 0)  # a week with no school day (no marks): no update
    assert await tick(scheduler, feed) == []
    assert [r[:2] for r in await runs_of(notifications_database, feed.urn)] == [
        (WEEK_43[0], WEEK_43[-1]),
        (WEEK_44[0], WEEK_44[-1]),
    ]
    assert await updates_to(notifications_database, feed.email("mum")) == 2
    messages = await feed.messages(upn)
    assert [m.data["to"] for m in messages if m.data] == [
        "2026-10-23",
        "2026-10-23",
        "2026-10-30",
        "2026-10-30",
    ]


async def test_a_schedule_set_after_this_weeks_time_starts_next_week(
    client, notifications_app, feed, notifications_settings, notifications_database
):
    await weekly_school(client, notifications_app, feed, [WEEK_43])
    scheduler = UpdateScheduler(notifications_settings, notifications_database, Clock(SET_ON))
    assert await tick(scheduler, feed) == []  # Friday 16 October's slot came before the schedule


async def test_two_schedulers_ticking_at_once_send_once(
    client, notifications_app, feed, notifications_settings, notifications_database
):
    await weekly_school(client, notifications_app, feed, [WEEK_43])
    at = Clock(utc(10, 23, 15, 0))
    schedulers = [UpdateScheduler(notifications_settings, notifications_database, at) for _ in range(3)]

    made = await asyncio.gather(*(tick(s, feed) for s in schedulers))

    assert sorted(len(runs) for runs in made) == [0, 0, 1]
    assert len(await runs_of(notifications_database, feed.urn)) == 1
    assert await updates_to(notifications_database, feed.email("dad")) == 1


async def test_a_manual_run_of_the_same_week_stops_the_scheduled_one(
    client, notifications_app, feed, notifications_settings, notifications_database
):
    await weekly_school(client, notifications_app, feed, [WEEK_43])
    async with app_time(notifications_app, utc(10, 23, 12, 0)):
        body = {"from": WEEK_43[0].isoformat(), "to": WEEK_43[-1].isoformat()}
        sent = await client.post(f"/v1/schools/{feed.urn}/attendance-updates", json=body, headers=staff(feed))
    assert sent.status_code == 202, sent.text

    scheduler = UpdateScheduler(notifications_settings, notifications_database, Clock(utc(10, 23, 15, 0)))
    assert await tick(scheduler, feed) == []
    assert await updates_to(notifications_database, feed.email("mum")) == 1


async def test_two_workers_and_a_restart_send_each_week_once(backend, test_databases, notifications_settings):
    url = test_databases.create("notifications_schedule", backend=backend)
    upgrade_database(MIGRATIONS, url)
    settings = notifications_settings.model_copy(update={"database_url": url, "updates_tick_seconds": 0.05})
    database = Database(settings.resolved_database_url)
    consumer = EventConsumer(
        name="notifications",
        topics=[],
        handlers={**HANDLERS, **MARK_HANDLERS},
        batch_handlers=BATCH_HANDLERS,
        readers=MARK_READERS,
        database=database,
        settings=settings,
        producer=None,  # type: ignore[arg-type]
    )
    feed = Feed(consumer, database, new_urn())
    upn = new_upn()
    await feed.school()
    await feed.pupil(upn, [contact("c1", "Mum", feed.email("mum"))])
    await register(feed, upn, [(s, present(s)) for s in slots(WEEK_43)])
    async with database.transaction() as session:
        from notifications.updates import schedule

        await schedule.put(
            session, feed.urn, schedule.Schedule("weekly", "friday", dt.time(15, 30)), "test", SET_ON
        )
    clock = Clock(utc(10, 23, 14, 31))

    async with (
        running(make_worker(settings, clock=clock)) as one,
        running(make_worker(settings, clock=clock)) as two,
    ):
        await eventually(lambda: runs_of(database, feed.urn), what="the scheduled run", tasks=(one, two))
        await asyncio.sleep(1)  # both keep ticking
    async with running(make_worker(settings, clock=clock)) as restarted:
        await asyncio.sleep(1)
        assert not restarted.done()

    assert await runs_of(database, feed.urn) == [(WEEK_43[0], WEEK_43[-1], "schedule")]
    assert await updates_to(database, feed.email("mum")) == 1
    await database.dispose()
