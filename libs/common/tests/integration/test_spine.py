"""The spine: outbox -> relay -> real broker -> idempotent consumer, under duplicates, crashes and poison."""

from __future__ import annotations

import asyncio
import sys

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaError
from spine_support import HERE, run_until, unique
from spine_tables import Effect, effects_for
from sqlalchemy import select, update

from attendance_common.db import Database
from attendance_common.events.base import PUPILS_TOPIC, dlq_topic
from attendance_common.events.registers import SchoolUpserted
from attendance_common.messaging import (
    EventConsumer,
    OutboxRelay,
    Received,
    TransientError,
    add_event,
)
from attendance_common.messaging.outbox import OutboxRow
from attendance_common.settings import ServiceSettings

pytestmark = pytest.mark.integration


def school(urn: str, name: str = "Hill Primary") -> SchoolUpserted:
    return SchoolUpserted(urn=urn, name=name, la_code="380")


def consumer_for(
    settings: ServiceSettings,
    database: Database,
    producer: AIOKafkaProducer,
    handler,
    name: str | None = None,
) -> EventConsumer:  # type: ignore[no-untyped-def]
    return EventConsumer(
        name=name or unique("group-"),
        topics=[PUPILS_TOPIC],
        handlers={SchoolUpserted.event_type: handler},
        database=database,
        settings=settings,
        producer=producer,
    )


async def applied(database: Database, urns: list[str]) -> dict[str, list[str]]:
    async with database.transaction() as session:
        return await effects_for(session, urns)


async def publish(database: Database, producer: AIOKafkaProducer, *events: SchoolUpserted) -> None:
    async with database.transaction() as session:
        for event in events:
            add_event(session, event, source="spine")
    await OutboxRelay(database, producer).publish_pending()


async def test_outbox_event_reaches_consumer_exactly_once_even_when_published_twice(
    settings, database, producer
):
    from spine_tables import apply_school

    urns = [unique("u") for _ in range(20)]
    await publish(database, producer, *(school(urn) for urn in urns))
    # A relay that dies after the broker's ack but before marking the rows sent publishes them again.
    async with database.transaction() as session:
        await session.execute(update(OutboxRow).where(OutboxRow.key.in_(urns)).values(sent_at=None))
    assert await OutboxRelay(database, producer).publish_pending() == 20

    consumer = consumer_for(settings, database, producer, apply_school)

    async def all_seen_twice() -> bool:
        return len(await applied(database, urns)) == 20 and consumer.skipped >= 20

    await run_until(consumer, all_seen_twice)
    assert await applied(database, urns) == {urn: ["Hill Primary"] for urn in urns}


async def test_rolled_back_transaction_publishes_nothing(settings, database, producer):
    from spine_tables import apply_school

    urn = unique("r")
    with pytest.raises(RuntimeError):
        async with database.transaction() as session:
            add_event(session, school(urn, "rolled back"), source="spine")
            raise RuntimeError("the use case failed")
    # Same key, so had the first been published it would be consumed before this one.
    await publish(database, producer, school(urn, "committed"))

    consumer = consumer_for(settings, database, producer, apply_school)
    await run_until(consumer, lambda: _has(database, urn))
    assert await applied(database, [urn]) == {urn: ["committed"]}
    async with database.transaction() as session:
        names = (await session.scalars(select(OutboxRow.data).where(OutboxRow.key == urn))).all()
    assert len(names) == 1 and "committed" in names[0]


async def _has(database: Database, urn: str) -> bool:
    return urn in await applied(database, [urn])


async def test_consumer_killed_between_db_commit_and_offset_commit_does_not_apply_twice(
    settings, database, producer
):
    from spine_tables import apply_school

    urn, group = unique("c"), unique("crash-")
    await publish(database, producer, school(urn))
    crashed = await asyncio.create_subprocess_exec(
        sys.executable,
        str(HERE / "crashing_consumer.py"),
        settings.resolved_database_url,
        settings.kafka_bootstrap_servers,
        group,
        urn,
    )
    assert await asyncio.wait_for(crashed.wait(), timeout=60) == 17
    assert await applied(database, [urn]) == {urn: ["Hill Primary"]}, "the crash came after the DB commit"

    restarted = consumer_for(settings, database, producer, apply_school, name=group)

    async def redelivered() -> bool:
        return restarted.skipped >= 1

    await run_until(restarted, redelivered)
    assert await applied(database, [urn]) == {urn: ["Hill Primary"]}


async def test_poison_event_goes_to_dlq_and_next_event_is_processed(settings, database, producer):
    from spine_tables import apply_school

    urn = unique("p")
    await publish(database, producer, school(urn, "POISON"))
    await producer.send_and_wait(PUPILS_TOPIC, value=b"not a cloud event", key=urn.encode())
    await publish(database, producer, school(urn, "after the poison"))

    consumer = consumer_for(settings, database, producer, apply_school)
    await run_until(consumer, lambda: _has(database, urn))
    assert await applied(database, [urn]) == {urn: ["after the poison"]}

    dead = await read_dlq(settings, consumer.name, expected=2)
    errors = sorted(dict(headers)["dlq_error"].decode() for headers, _ in dead)
    assert "EnvelopeError" in errors[0] and "PoisonError" in errors[1]
    assert {dict(headers)["dlq_topic"] for headers, _ in dead} == {PUPILS_TOPIC.encode()}
    assert b"POISON" in next(value for headers, value in dead if b"PoisonError" in dict(headers)["dlq_error"])


async def test_outage_in_handler_is_retried_not_dead_lettered(settings, database, producer):
    from spine_tables import apply_school

    urn = unique("t")
    failures = 0

    async def flaky(session, received: Received) -> None:  # type: ignore[no-untyped-def]
        nonlocal failures
        if received.data.urn == urn and failures < 6:  # type: ignore[attr-defined]
            failures += 1  # more failures than max_attempts: an outage must never reach the DLQ
            raise TransientError("database restarting")
        await apply_school(session, received)

    class RecordingConsumer(EventConsumer):
        dead_keys: list[str | None] = []

        async def dead_letter_received(self, item: Received, error: BaseException) -> None:
            self.dead_keys.append(item.key)
            await super().dead_letter_received(item, error)

    await publish(database, producer, school(urn))
    consumer = RecordingConsumer(
        name=unique("group-"),
        topics=[PUPILS_TOPIC],
        handlers={SchoolUpserted.event_type: flaky},
        database=database,
        settings=settings,
        producer=producer,
    )
    await run_until(consumer, lambda: _has(database, urn))
    assert failures == 6
    assert await applied(database, [urn]) == {urn: ["Hill Primary"]}
    assert urn not in consumer.dead_keys


async def test_relay_keeps_rows_unsent_while_the_broker_does_not_ack(settings, database):
    from attendance_common.broker import free_port, start_broker, stop_broker
    from attendance_common.messaging.kafka import make_producer

    port = free_port()
    broker = start_broker(port)
    # A short request timeout so the send fails fast: the point is what happens to the rows.
    lonely = settings.model_copy(
        update={"kafka_bootstrap_servers": f"127.0.0.1:{port}", "kafka_request_timeout_ms": 1500}
    )
    producer = make_producer(lonely)
    await producer.start()
    urn = unique("b")
    async with database.transaction() as session:
        add_event(session, school(urn), source="spine")
    stop_broker(broker)
    with pytest.raises(KafkaError):
        await asyncio.wait_for(OutboxRelay(database, producer).publish_pending(), timeout=20)
    await producer.stop()
    async with database.transaction() as session:
        row = (await session.scalars(select(OutboxRow).where(OutboxRow.key == urn))).one()
    assert row.sent_at is None
    async with database.transaction() as session:  # leave the shared outbox clean for later tests
        await session.execute(update(OutboxRow).where(OutboxRow.key == urn).values(sent_at=row.time))


async def read_dlq(settings: ServiceSettings, consumer_name: str, *, expected: int, timeout: float = 20):
    """The DLQ records that `consumer_name` produced, read from the start of the topic."""
    reader = AIOKafkaConsumer(
        dlq_topic(PUPILS_TOPIC),
        bootstrap_servers=settings.kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await reader.start()
    found: list[tuple[list[tuple[str, bytes]], bytes]] = []
    try:
        async with asyncio.timeout(timeout):
            while len(found) < expected:
                batches = await reader.getmany(timeout_ms=500)
                for records in batches.values():
                    for record in records:
                        headers = list(record.headers)
                        if dict(headers).get("dlq_consumer") == consumer_name.encode():
                            found.append((headers, record.value))
    finally:
        await reader.stop()
    return found


_ = Effect  # the table the stand-in handler writes
