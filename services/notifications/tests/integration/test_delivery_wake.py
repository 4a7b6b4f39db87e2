"""The delivery loop sleeps until a delivery is inserted (PostgreSQL NOTIFY) or its next retry
falls due, instead of asking the database five times a second; it never waits out its net for
either."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from notifications_support import Feed, contact, new_upn

from attendance_common.testing.workers import eventually
from notifications.delivery.dispatch import Dispatcher
from notifications.settings import Settings

pytestmark = pytest.mark.integration
LONG = 60.0  # a loop that only polled would not look again within a test's patience


async def running(settings: Settings, database, **changes: object) -> AsyncIterator[Dispatcher]:
    dispatcher = Dispatcher(settings.model_copy(update=changes), database)
    stop = asyncio.Event()
    task = asyncio.create_task(dispatcher.run(stop))
    try:
        await eventually(lambda: asyncio.sleep(0, dispatcher.wake.listening), what="listening", tasks=(task,))
        await asyncio.sleep(1)  # what earlier tests left is sent: the loop is asleep
        yield dispatcher
    finally:
        stop.set()
        await task


@pytest.fixture
async def sleeping(notifications_settings, notifications_database, backend) -> AsyncIterator[Dispatcher]:
    if backend != "postgresql":
        pytest.skip("NOTIFY is PostgreSQL's; on SQLite the loop polls")
    async for dispatcher in running(
        notifications_settings,
        notifications_database,
        delivery_poll_seconds=LONG,
        delivery_idle_poll_seconds=LONG,
    ):
        yield dispatcher


async def pupil_with_mum(feed: Feed) -> str:
    upn = new_upn()
    await feed.school("Hill Primary")
    await feed.pupil(upn, [contact("c1", "Mum", feed.email("mum"))])
    return upn


async def test_a_new_delivery_wakes_the_sleeping_loop(feed, sleeping, smtp):
    upn = await pupil_with_mum(feed)
    started = time.monotonic()

    await feed.raise_alert(upn, "first_day_absence")

    await eventually(lambda: asyncio.sleep(0, smtp[0].to(feed.email("mum"))), what="the email", timeout=10)
    assert time.monotonic() - started < 10


async def test_a_retry_is_made_when_due_without_a_new_delivery(
    feed, notifications_settings, notifications_database, backend
):
    if backend != "postgresql":
        pytest.skip("NOTIFY is PostgreSQL's; on SQLite the loop polls")
    upn = await pupil_with_mum(feed)
    async for _ in running(
        notifications_settings,
        notifications_database,
        smtp_port=9,  # nothing listens: each attempt fails, and is retried after the backoff
        delivery_backoff_seconds=0.5,
        delivery_poll_seconds=LONG,
        delivery_idle_poll_seconds=LONG,
    ):
        await feed.raise_alert(upn, "first_day_absence")

        async def attempts() -> int:
            (email,) = await feed.deliveries(upn, channel="email")
            return email.attempts if email.attempts >= 2 else 0

        assert await eventually(attempts, what="the second attempt", timeout=10) >= 2
