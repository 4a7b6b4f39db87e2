"""An idempotent Kafka consumer: effects and inbox rows commit together; offsets are committed after."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.db import Database
from attendance_common.events.base import EventData, dlq_topic
from attendance_common.events.catalog import decode
from attendance_common.events.envelope import CloudEvent, EnvelopeError
from attendance_common.messaging.inbox import already_applied, record_applied
from attendance_common.messaging.kafka import make_consumer
from attendance_common.settings import ServiceSettings

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Received:
    """One decoded event and where it came from."""

    event: CloudEvent
    data: EventData
    topic: str
    partition: int
    offset: int
    key: str | None


Handler = Callable[[AsyncSession, Received], Awaitable[None]]


class TransientError(Exception):
    """Raise from a handler when retrying later can succeed; such events never go to the DLQ."""


def is_transient(error: BaseException) -> bool:
    """Outages (database or broker unreachable) are retried forever; anything else is poison."""
    if isinstance(error, TransientError | OperationalError | InterfaceError | OSError | TimeoutError):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


class EventConsumer:
    """Consumes `topics` as group `name`, applying each event type's handler exactly once."""

    def __init__(
        self,
        *,
        name: str,
        topics: Iterable[str],
        handlers: Mapping[str, Handler],
        database: Database,
        settings: ServiceSettings,
        producer: AIOKafkaProducer,
        max_records: int = 500,
    ) -> None:
        self.name = name
        self.topics = list(topics)
        self.handlers = dict(handlers)
        self.database = database
        self.settings = settings
        self.producer = producer
        self.max_records = max_records
        self.applied = 0
        self.skipped = 0
        self.first_batch_at: float | None = None  # loop time of the first fetch with records
        self.dead_lettered = 0

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until `stop` is set; committed offsets always trail the database commit."""
        consumer = make_consumer(self.settings, self.name, self.topics)
        await consumer.start()
        log.info("consumer_started", consumer=self.name, topics=self.topics)
        try:
            while not stop.is_set():
                batches = await consumer.getmany(timeout_ms=200, max_records=self.max_records)
                if not batches:
                    continue
                if self.first_batch_at is None:
                    self.first_batch_at = asyncio.get_running_loop().time()
                records = [record for partition_records in batches.values() for record in partition_records]
                if not await self.process(records, stop):
                    break  # stopping mid-outage: leave offsets uncommitted, the events come again
                await self.commit_offsets(consumer, {tp: recs[-1].offset + 1 for tp, recs in batches.items()})
        finally:
            await consumer.stop()
            log.info("consumer_stopped", consumer=self.name)

    async def commit_offsets(self, consumer: AIOKafkaConsumer, offsets: dict[TopicPartition, int]) -> None:
        try:
            await consumer.commit(offsets)
        except (CommitFailedError, KafkaError) as error:
            # A rebalance took the partitions: their events come again and the inbox skips them.
            log.warning("offset_commit_failed", consumer=self.name, error=repr(error))

    async def process(self, records: Sequence[ConsumerRecord[Any, Any]], stop: asyncio.Event) -> bool:
        """Apply a fetched batch: in one transaction if it can, else event by event. False if stopped."""
        received: list[Received] = []
        for record in records:
            try:
                item = self.decode(record)
            except EnvelopeError as error:
                await self.dead_letter(record, error)
                continue
            if item is not None:
                received.append(item)
        if not received:
            return True
        try:
            await self.apply(received)
            return True
        except Exception as error:
            log.info("batch_failed_retrying_singly", consumer=self.name, error=repr(error))
        for item in received:
            if not await self.apply_with_retries(item, stop):
                return False
        return True

    def decode(self, record: ConsumerRecord[Any, Any]) -> Received | None:
        """The typed event, or None for a type this consumer does not handle."""
        event = CloudEvent.from_kafka(record.headers, record.value)
        if event.type not in self.handlers:
            return None
        key = record.key.decode() if isinstance(record.key, bytes) else record.key
        return Received(event, decode(event), record.topic, record.partition, record.offset, key)

    async def apply(self, items: Sequence[Received]) -> None:
        """One transaction: skip events already in the inbox, run handlers, record the new ids."""
        async with self.database.transaction() as session:
            seen = await already_applied(session, self.name, (item.event.id for item in items))
            fresh: list[str] = []
            skipped = 0
            for item in items:
                if item.event.id in seen:
                    skipped += 1
                    continue
                seen.add(item.event.id)
                await self.handlers[item.event.type](session, item)
                fresh.append(item.event.id)
            await record_applied(session, self.name, fresh)
        self.applied += len(fresh)
        self.skipped += skipped

    async def apply_with_retries(self, item: Received, stop: asyncio.Event) -> bool:
        """Retry with backoff; an outage retries until it ends, poison goes to the DLQ. False if stopped."""
        attempt = 0
        while not stop.is_set():
            attempt += 1
            try:
                await self.apply([item])
                return True
            except Exception as error:
                if not is_transient(error) and attempt >= self.settings.consumer_max_attempts:
                    await self.dead_letter_received(item, error)
                    return True
                delay = min(30.0, self.settings.consumer_backoff_seconds * 2 ** (attempt - 1))
                log.warning(
                    "event_failed",
                    consumer=self.name,
                    event_id=item.event.id,
                    type=item.event.type,
                    attempt=attempt,
                    retry_in=delay,
                    error=repr(error),
                )
                try:
                    await asyncio.wait_for(stop.wait(), timeout=delay)
                except TimeoutError:
                    pass
        return False

    async def dead_letter_received(self, item: Received, error: BaseException) -> None:
        headers, value = item.event.to_kafka()
        await self._publish_dead_letter(
            item.topic, item.partition, item.offset, item.key, headers, value, error
        )

    async def dead_letter(self, record: ConsumerRecord[Any, Any], error: BaseException) -> None:
        key = record.key.decode() if isinstance(record.key, bytes) else record.key
        await self._publish_dead_letter(
            record.topic,
            record.partition,
            record.offset,
            key,
            list(record.headers or ()),
            record.value,
            error,
        )

    async def _publish_dead_letter(
        self,
        topic: str,
        partition: int,
        offset: int,
        key: str | None,
        headers: list[tuple[str, bytes]],
        value: bytes | None,
        error: BaseException,
    ) -> None:
        """Send the event as it came to `<topic>.dlq`, with the error and its origin as headers."""
        headers = [
            *headers,
            ("dlq_error", repr(error)[:2000].encode()),
            ("dlq_consumer", self.name.encode()),
            ("dlq_topic", topic.encode()),
            ("dlq_partition", str(partition).encode()),
            ("dlq_offset", str(offset).encode()),
        ]
        await self.producer.send_and_wait(
            dlq_topic(topic), value=value, key=key.encode() if key else None, headers=headers
        )
        self.dead_lettered += 1
        log.error("event_dead_lettered", consumer=self.name, topic=topic, offset=offset, error=repr(error))
