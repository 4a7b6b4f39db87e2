"""The dead-letter queue: an event that cannot be applied is sent, as it came, to `<topic>.dlq`."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import structlog
from aiokafka.errors import KafkaError

from attendance_common.events.base import dlq_topic
from attendance_common.metrics import DEAD_LETTERED, EVENTS_CONSUMED

if TYPE_CHECKING:
    from attendance_common.messaging.consumer import EventConsumer

log = structlog.get_logger(__name__)


async def publish_dead_letter(
    consumer: EventConsumer,
    topic: str,
    partition: int,
    offset: int,
    key: str | None,
    headers: list[tuple[str, bytes]],
    value: bytes | None,
    error: BaseException,
    event_type: str,
) -> None:
    """Send the event as it came to `<topic>.dlq`, with the error and its origin as headers.

    A failed publish is retried with backoff while the broker is away (not fatal to the worker),
    until the consumer is stopped (its caller then leaves the offset uncommitted: the event comes
    again); an error the broker says retrying cannot cure is tried `consumer_max_attempts` times,
    then the event is dropped with an error log.
    """
    headers = [
        *headers,
        ("dlq_error", repr(error)[:2000].encode()),
        ("dlq_consumer", consumer.name.encode()),
        ("dlq_topic", topic.encode()),
        ("dlq_partition", str(partition).encode()),
        ("dlq_offset", str(offset).encode()),
    ]
    attempt = 0
    while True:
        attempt += 1
        try:
            await consumer.producer.send_and_wait(
                dlq_topic(topic), value=value, key=key.encode() if key else None, headers=headers
            )
            break
        except (KafkaError, OSError, TimeoutError) as failed:
            if not retriable(failed) and attempt >= consumer.settings.consumer_max_attempts:
                log.error(
                    "dead_letter_dropped",
                    consumer=consumer.name,
                    topic=topic,
                    offset=offset,
                    error=repr(failed),
                )
                EVENTS_CONSUMED.labels(consumer.name, topic, event_type, "dropped").inc()
                return
            delay = consumer.backoff(attempt)
            log.warning(
                "dead_letter_publish_failed", consumer=consumer.name, error=repr(failed), retry_in=delay
            )
            if not await wait(consumer.stop, delay):
                return
    consumer.dead_lettered += 1
    DEAD_LETTERED.labels(consumer.name, topic).inc()
    EVENTS_CONSUMED.labels(consumer.name, topic, event_type, "dead_lettered").inc()
    log.error("event_dead_lettered", consumer=consumer.name, topic=topic, offset=offset, error=repr(error))


def retriable(error: BaseException) -> bool:
    """Whether a publish may succeed later (the broker away or slow), per aiokafka's own flag."""
    return isinstance(error, OSError | TimeoutError) or bool(getattr(error, "retriable", False))


async def wait(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep `seconds` unless `stop` is set first; True if not stopped."""
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        return True
    return False
