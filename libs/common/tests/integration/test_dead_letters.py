"""The dead-letter path against the real broker: a failed DLQ publish is retried, not fatal to the
worker; an outage-like error that repeats identically while the database answers is dead-lettered
rather than retried for ever; a real outage never is."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaTimeoutError, MessageSizeTooLargeError
from spine_support import run_until, unique
from spine_tables import apply_school, effects_for

from attendance_common.broker import free_port
from attendance_common.db import Database
from attendance_common.events.base import PUPILS_TOPIC, dlq_topic
from attendance_common.events.registers import SchoolUpserted
from attendance_common.messaging import EventConsumer, OutboxRelay, Received, add_event
from attendance_common.settings import ServiceSettings

pytestmark = pytest.mark.integration


class FlakyProducer:
    """The real producer, whose first `failures` sends fail with `error` (the broker away)."""

    def __init__(self, real: AIOKafkaProducer, failures: int, error: type[Exception]) -> None:
        self.real, self.failures, self.error = real, failures, error
        self.keys: list[bytes] = []  # of every call (the group reads the topic's earlier events too)

    async def send_and_wait(self, *args, **kwargs):
        self.keys.append(kwargs["key"])
        if self.failures > 0:
            self.failures -= 1
            raise self.error()
        return await self.real.send_and_wait(*args, **kwargs)


def consumer(settings, database, producer, handler) -> EventConsumer:
    return EventConsumer(
        name=unique("group-"),
        topics=[PUPILS_TOPIC],
        handlers={SchoolUpserted.event_type: handler},
        database=database,
        settings=settings,
        producer=producer,  # type: ignore[arg-type]
    )


async def publish(database: Database, producer: AIOKafkaProducer, *names: str) -> str:
    """Schools of one new URN, named `names`, in order; returns the URN."""
    urn = unique("d")
    async with database.transaction() as session:
        for name in names:
            add_event(session, SchoolUpserted(urn=urn, name=name, la_code="380"), source="spine")
    await OutboxRelay(database, producer).publish_pending()
    return urn


def applied(database: Database, urn: str):
    async def check() -> bool:
        async with database.transaction() as session:
            return bool((await effects_for(session, [urn])).get(urn))

    return check


async def dead_letters(settings: ServiceSettings, group: str, urn: str) -> list[bytes]:
    """The values of `urn` that `group` dead-lettered, read from the start of the real DLQ topic."""
    reader = AIOKafkaConsumer(
        dlq_topic(PUPILS_TOPIC),
        bootstrap_servers=settings.kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await reader.start()
    found: list[bytes] = []
    try:
        async with asyncio.timeout(20):
            while not found:
                for records in (await reader.getmany(timeout_ms=500)).values():
                    found += [
                        r.value
                        for r in records
                        if dict(r.headers).get("dlq_consumer") == group.encode() and r.key == urn.encode()
                    ]
    finally:
        await reader.stop()
    return found


async def test_a_failed_dead_letter_publish_is_retried_and_the_consumer_goes_on(settings, database, producer):
    urn = await publish(database, producer, "POISON", "after the poison")
    flaky = FlakyProducer(producer, failures=2, error=KafkaTimeoutError)
    running = consumer(settings, database, flaky, apply_school)
    await run_until(running, applied(database, urn))
    assert len(flaky.keys) >= 3
    values = await dead_letters(settings, running.name, urn)
    assert values and all(b"POISON" in value for value in values)  # at least once


async def test_a_dead_letter_the_broker_can_never_take_is_dropped_not_retried_forever(
    settings, database, producer
):
    urn = await publish(database, producer, "POISON", "after the poison")
    refusing = FlakyProducer(producer, failures=99, error=MessageSizeTooLargeError)
    running = consumer(settings, database, refusing, apply_school)
    await run_until(running, applied(database, urn))
    assert refusing.keys.count(urn.encode()) == settings.consumer_max_attempts


async def test_an_outage_like_error_repeating_while_the_database_answers_is_dead_lettered(
    settings, database, producer
):
    async def stuck(session, received: Received) -> None:  # type: ignore[no-untyped-def]
        if received.data.name == "STUCK":  # type: ignore[attr-defined]
            raise OSError("[Errno 28] No space left on device")  # looks like an outage, never ends
        await apply_school(session, received)

    urn = await publish(database, producer, "STUCK", "after it")
    bounded = settings.model_copy(update={"consumer_max_transient_repeats": 3})
    running = consumer(bounded, database, producer, stuck)
    await run_until(running, applied(database, urn))
    values = await dead_letters(settings, running.name, urn)
    assert values and all(b"STUCK" in value for value in values)  # at least once


async def test_a_real_database_outage_is_never_dead_lettered(settings, database, producer):
    await publish(database, producer, "Hill Primary")
    down = Database(f"postgresql+asyncpg://attendance@127.0.0.1:{free_port()}/gone")
    attempts = 0

    class Counting(EventConsumer):
        async def apply(self, items) -> None:  # type: ignore[no-untyped-def]
            nonlocal attempts
            attempts += 1
            await super().apply(items)

    running = Counting(
        name=unique("group-"),
        topics=[PUPILS_TOPIC],
        handlers={SchoolUpserted.event_type: apply_school},
        database=down,
        settings=settings.model_copy(update={"consumer_max_transient_repeats": 2}),
        producer=producer,
    )

    async def retried_well_past_the_bound() -> bool:
        return attempts >= 8

    try:
        await run_until(running, retried_well_past_the_bound)
    finally:
        await down.dispose()
    assert running.dead_lettered == 0
