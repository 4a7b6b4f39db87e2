"""The outbox relay sleeps between batches until new rows commit (PostgreSQL NOTIFY), instead of
asking the database every few milliseconds; losing its listening connection costs a poll, not an event."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from spine_support import HERE, unique
from sqlalchemy import select

from attendance_common.db import Database
from attendance_common.events.registers import SchoolUpserted
from attendance_common.messaging import OutboxRelay, add_event
from attendance_common.messaging.outbox import OutboxRow
from attendance_common.migrations import upgrade_database
from attendance_common.testing.databases import TestDatabases

pytestmark = pytest.mark.integration
LONG = 60.0  # a relay that only polled would not look again within a test's patience


@pytest.fixture
async def wake_database(test_databases: TestDatabases) -> AsyncIterator[Database]:
    if test_databases.backend != "postgresql":
        pytest.skip("NOTIFY is PostgreSQL's; on SQLite the relay polls")
    url = test_databases.create("wake")
    await asyncio.to_thread(upgrade_database, HERE / "spine_migrations", url)
    database = Database(url)
    yield database
    await database.dispose()


async def stage(database: Database) -> str:
    urn = unique()[:6]
    async with database.transaction() as session:
        event = add_event(session, SchoolUpserted(urn=urn, name="Wake Primary", la_code="380"), source="t")
    return event.id


async def sent(database: Database, event_id: str, within: float) -> bool:
    async with asyncio.timeout(within):
        while True:
            async with database.transaction() as session:
                row = await session.scalar(select(OutboxRow.sent_at).where(OutboxRow.event_id == event_id))
            if row is not None:
                return True
            await asyncio.sleep(0.05)


async def until_listening(relay: OutboxRelay, within: float) -> None:
    async with asyncio.timeout(within):
        while not relay.wake.listening:  # noqa: ASYNC110 (a property of another task's connection)
            await asyncio.sleep(0.05)


async def running(relay: OutboxRelay) -> tuple[asyncio.Event, asyncio.Task[None]]:
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    await until_listening(relay, within=10)
    await asyncio.sleep(0.2)  # past the first look, into the long sleep
    return stop, task


async def test_relay_publishes_a_committed_event_without_waiting_for_its_next_poll(
    wake_database: Database, producer: AIOKafkaProducer
) -> None:
    relay = OutboxRelay(wake_database, producer, poll_seconds=LONG, idle_poll_seconds=LONG)
    stop, task = await running(relay)
    try:
        assert await sent(wake_database, await stage(wake_database), within=10)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)


async def test_relay_polls_while_its_listener_is_cut_off_then_listens_again(
    wake_database: Database, producer: AIOKafkaProducer
) -> None:
    relay = OutboxRelay(wake_database, producer, poll_seconds=0.2, idle_poll_seconds=LONG)
    stop, task = await running(relay)
    try:
        assert relay.wake.connection is not None
        listener = relay.wake.connection.get_server_pid()
        admin = await asyncpg.connect(relay.wake.dsn)
        try:
            await admin.execute("SELECT pg_terminate_backend($1)", listener)
        finally:
            await admin.close()
        assert await sent(wake_database, await stage(wake_database), within=10)
        await until_listening(relay, within=15)  # again, after RETRY_SECONDS
        assert relay.wake.connection.get_server_pid() != listener
        assert await sent(wake_database, await stage(wake_database), within=10)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)
