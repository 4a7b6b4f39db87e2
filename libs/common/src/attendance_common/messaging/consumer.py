"""An idempotent Kafka consumer: effects and inbox rows commit together; offsets are committed after."""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import asyncpg
import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from opentelemetry.trace import Link, SpanContext, SpanKind, get_current_span
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.db import Database
from attendance_common.events.base import EventData
from attendance_common.events.catalog import Reader, decode, read
from attendance_common.events.envelope import CloudEvent, EnvelopeError
from attendance_common.messaging.dead_letters import publish_dead_letter, wait
from attendance_common.messaging.inbox import already_applied, record_applied
from attendance_common.messaging.kafka import make_consumer
from attendance_common.metrics import CONSUMER_LAG, EVENTS_CONSUMED, count_events, note_last_applied
from attendance_common.settings import ServiceSettings
from attendance_common.tracing import context_from, tracer

log = structlog.get_logger(__name__)
LAG_EVERY_SECONDS = 1.0


D = TypeVar("D", covariant=True)
E = TypeVar("E", bound=EventData)


@dataclass(frozen=True)
class Received(Generic[D]):
    """One decoded event and where it came from."""

    event: CloudEvent
    data: D  # the event model's instance (EventData), or the consumer's reader's view of it
    topic: str
    partition: int
    offset: int
    key: str | None
    value: bytes | None = None  # the record's data as it came (the event's `data` may be left empty)


Handler = Callable[[AsyncSession, Received], Awaitable[None]]
# Applies a run of consecutive events of one type at once (set-based), with the same effects as
# the type's `Handler` applied to each in turn.
BatchHandler = Callable[[AsyncSession, Sequence[Received]], Awaitable[None]]


def on(handler: Callable[[AsyncSession, Received[E]], Awaitable[None]], model: type[E]) -> dict[str, Handler]:
    """`handler` registered for `model`'s event type. The consumer decodes an event into its type's
    model, so the handler's `received.data` is a `model`, as its signature says (a handler of
    several types takes their union, and is registered once for each)."""
    return {model.event_type: handler}


def on_runs(
    handler: Callable[[AsyncSession, Sequence[Received[E]]], Awaitable[None]], model: type[E]
) -> dict[str, BatchHandler]:
    """`on` for a batch handler: runs of consecutive events of `model`'s type."""
    return {model.event_type: handler}


def staging_span(item: Received) -> SpanContext | None:
    """The span that staged the event, from its `traceparent`; None without a valid one."""
    parent = context_from({"traceparent": item.event.traceparent}) if item.event.traceparent else None
    if parent is None:
        return None
    context = get_current_span(parent).get_span_context()
    return context if context.is_valid else None


class TransientError(Exception):
    """Raise from a handler when retrying later can succeed; such events are retried while the
    database is away, and go to the DLQ only when the same error repeats with the database up."""


# SQLSTATEs that mean "later": connection failures (08), too many connections or no resources (53),
# the server shutting down or starting up (57P01-03), and transactions that lost a race with
# another (serialisation failure, deadlock). asyncpg reports some as plain DBAPIErrors.
TRANSIENT_SQLSTATES = ("08", "53", "57P01", "57P02", "57P03", "40001", "40P01")


def is_transient(error: BaseException) -> bool:
    """Outages (database or broker unreachable, restarting) are retried as long as they last;
    anything else is poison."""
    if isinstance(error, TransientError | OperationalError | InterfaceError | OSError | TimeoutError):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    if (code := _sqlstate(error)) is not None and code.startswith(TRANSIENT_SQLSTATES):
        return True
    # The driver's own error for a connection closed under it (queries sent through asyncpg directly).
    return isinstance(error, asyncpg.InterfaceError) and "closed" in str(error)


def _sqlstate(error: BaseException) -> str | None:
    """The PostgreSQL SQLSTATE of a driver error, whether raw or wrapped by SQLAlchemy."""
    for candidate in (error, getattr(error, "orig", None), error.__cause__):
        code = getattr(candidate, "sqlstate", None)
        if isinstance(code, str):
            return code
    return None


def split_lanes(
    records: Sequence[ConsumerRecord[Any, Any]], lanes: int
) -> list[list[ConsumerRecord[Any, Any]]]:
    """Records split into at most `lanes` lists of about equal size; a key's records stay together,
    in order (records without a key go with their partition's). The largest keys are placed first,
    each on the lane with the fewest records so far: a handful of schools still fill every lane."""
    if lanes <= 1 or not records:
        return [list(records)] if records else []
    groups: dict[object, list[ConsumerRecord[Any, Any]]] = {}
    for record in records:
        key = record.key if record.key is not None else (record.topic, record.partition)
        groups.setdefault(key, []).append(record)
    split: list[list[ConsumerRecord[Any, Any]]] = [[] for _ in range(lanes)]
    for group in sorted(groups.values(), key=len, reverse=True):
        min(split, key=len).extend(group)
    return [lane for lane in split if lane]


def in_time_order(partitions: Iterable[Sequence[ConsumerRecord[Any, Any]]]) -> list[ConsumerRecord[Any, Any]]:
    """A fetch's records of several partitions as one list, merged by record timestamp; each
    partition's records keep their order. Topics are not ordered together, but what was published
    first is applied first within a fetch: a parent's report of an absence, then the first-day alert
    its register raised a moment later, not the other way round because of the partitions' order."""
    return list(heapq.merge(*partitions, key=lambda record: record.timestamp))


class EventConsumer:
    """Consumes `topics` as group `name`, applying each event type's handler exactly once.

    A type with a batch handler too has each run of its consecutive events in a fetch applied by
    that in one call (a run ends at an event of another type, so events stay in order); the one by
    one retry after a failed fetch hands it runs of one.
    """

    def __init__(
        self,
        *,
        name: str,
        topics: Iterable[str],
        handlers: Mapping[str, Handler],
        database: Database,
        batch_handlers: Mapping[str, BatchHandler] | None = None,
        readers: Mapping[str, Reader] | None = None,
        settings: ServiceSettings,
        producer: AIOKafkaProducer,
        max_records: int = 500,
        lanes: int = 1,
        lane_topics: Iterable[str] = (),
    ) -> None:
        self.name = name
        self.topics = list(topics)
        self.handlers = dict(handlers)
        self.batch_handlers = dict(batch_handlers or {})
        unknown = set(self.batch_handlers) - set(self.handlers)
        if unknown:
            raise ValueError(f"batch handlers without a handler: {sorted(unknown)}")
        self.readers = dict(readers or {})
        self.database = database
        self.settings = settings
        self.producer = producer
        self.max_records = max_records
        self.lanes = lanes
        self.lane_topics = frozenset(lane_topics)
        self.applied = 0
        self.skipped = 0
        self.first_batch_at: float | None = None  # loop time of the first fetch with records
        self.dead_lettered = 0
        self.last_applied_type: str | None = None
        self._lag_at = 0.0
        self._lag_labels: set[tuple[str, str, str]] = set()
        self.stop = asyncio.Event()  # the running loop's stop event, for retries to watch

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until `stop` is set; committed offsets always trail the database commit."""
        consumer = make_consumer(self.settings, self.name, self.topics)
        await consumer.start()
        log.info("consumer_started", consumer=self.name, topics=self.topics)
        try:
            while not stop.is_set():
                batches = await consumer.getmany(timeout_ms=200, max_records=self.max_records)
                if batches:
                    if self.first_batch_at is None:
                        self.first_batch_at = asyncio.get_running_loop().time()
                    if not await self.process_fetch(batches, stop):
                        break  # stopping mid-outage: leave offsets uncommitted, the events come again
                    offsets = {tp: recs[-1].offset + 1 for tp, recs in batches.items()}
                    await self.commit_offsets(consumer, offsets)
                await self.measure_lag(consumer)
        finally:
            await consumer.stop()
            log.info("consumer_stopped", consumer=self.name)

    async def commit_offsets(self, consumer: AIOKafkaConsumer, offsets: dict[TopicPartition, int]) -> None:
        try:
            await consumer.commit(offsets)
        except (CommitFailedError, KafkaError) as error:
            # A rebalance took the partitions: their events come again and the inbox skips them.
            log.warning("offset_commit_failed", consumer=self.name, error=repr(error))

    async def process_fetch(
        self, batches: Mapping[TopicPartition, list[ConsumerRecord[Any, Any]]], stop: asyncio.Event
    ) -> bool:
        """Apply a fetch: first its records outside the lane topics (one transaction), then the
        lanes, each in its own transaction, at once. False if stopped."""
        serial = in_time_order([recs for tp, recs in batches.items() if tp.topic not in self.lane_topics])
        if serial and not await self.process(serial, stop):
            return False
        # SQLite has one writer at a time: lanes would only wait on (or refuse) each other.
        count = self.lanes if self.database.engine.dialect.name == "postgresql" else 1
        laned = [r for tp, records in batches.items() if tp.topic in self.lane_topics for r in records]
        lanes = split_lanes(laned, count)
        return all(await asyncio.gather(*(self.process(records, stop) for records in lanes)))

    async def measure_lag(self, consumer: AIOKafkaConsumer) -> None:
        """Set the lag gauge of each assigned partition (at most once a second); drop revoked ones."""
        now = asyncio.get_running_loop().time()
        if now - self._lag_at < LAG_EVERY_SECONDS:
            return
        self._lag_at = now
        measured: set[tuple[str, str, str]] = set()
        for tp in consumer.assignment():
            highwater = consumer.highwater(tp)
            if highwater is None:
                continue  # no fetch answered for it yet
            try:
                position = await asyncio.wait_for(consumer.position(tp), timeout=1)
            except (KafkaError, TimeoutError):
                continue  # revoked meanwhile, or still resetting: next time
            labels = (self.name, tp.topic, str(tp.partition))
            CONSUMER_LAG.labels(*labels).set(max(0, highwater - position))
            measured.add(labels)
        for labels in self._lag_labels - measured:
            CONSUMER_LAG.remove(*labels)
        self._lag_labels = measured

    async def process(self, records: Sequence[ConsumerRecord[Any, Any]], stop: asyncio.Event) -> bool:
        """Apply a fetched batch: in one transaction if it can, else event by event. False if stopped."""
        self.stop = stop
        received: list[Received] = []
        for record in records:
            try:
                item = self.decode(record)
            except EnvelopeError as error:
                await self.dead_letter(record, error)
                if stop.is_set():  # stopped while the broker was away: the record comes again
                    return False
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
        event = CloudEvent.from_kafka(record.headers, record.value, data=False)
        if event.type not in self.handlers:
            return None
        if event.type not in self.readers:  # its handler may keep or forward the whole event
            event = event.with_data(record.value)
        key = record.key.decode() if isinstance(record.key, bytes) else record.key
        data = self.payload(event, record.value)
        return Received(event, data, record.topic, record.partition, record.offset, key, record.value)

    def payload(self, event: CloudEvent, value: bytes | None) -> Any:
        """The event's data as its handler takes it: the event model, or the view of the type's
        reader, if this consumer has one, read from the record's JSON `value` (or `event.data`)."""
        reader = self.readers.get(event.type)
        return decode(event) if reader is None else read(event, value, reader)

    async def apply(self, items: Sequence[Received]) -> None:
        """One transaction: skip events already in the inbox, run handlers, record the new ids."""
        fresh: list[Received] = []
        skipped: list[Received] = []
        async with self.database.transaction() as session:
            seen = await already_applied(session, self.name, (item.event.id for item in items))
            for item in items:
                if item.event.id in seen:
                    skipped.append(item)
                    continue
                seen.add(item.event.id)
                fresh.append(item)
            for run in self.runs(fresh):
                await self.handle(session, run)
            await record_applied(session, self.name, (item.event.id for item in fresh))
        self.applied += len(fresh)
        self.skipped += len(skipped)
        if fresh:
            note_last_applied(self.name, fresh[-1].event.type, self.last_applied_type)
            self.last_applied_type = fresh[-1].event.type
        count_events(
            EVENTS_CONSUMED, ((i.topic, i.event.type) for i in fresh), self.name, suffix=("applied",)
        )
        count_events(
            EVENTS_CONSUMED, ((i.topic, i.event.type) for i in skipped), self.name, suffix=("skipped",)
        )

    def runs(self, items: Sequence[Received]) -> Iterator[list[Received]]:
        """The items in order, consecutive ones of a type with a batch handler together, others alone."""
        run: list[Received] = []
        for item in items:
            if run and (item.event.type != run[0].event.type or item.event.type not in self.batch_handlers):
                yield run
                run = []
            run.append(item)
        if run:
            yield run

    async def handle(self, session: AsyncSession, run: list[Received]) -> None:
        """Apply a run of events: its type's batch handler if it has one, else its handler."""
        event_type = run[0].event.type
        batch = self.batch_handlers.get(event_type)
        if batch is not None:
            with self.span(run[0]) if len(run) == 1 else self.batch_span(run):
                await batch(session, run)
            return
        for item in run:
            with self.span(item):
                await self.handlers[event_type](session, item)

    @contextmanager
    def span(self, item: Received) -> Iterator[None]:
        """The handler's span, a child of the span that staged the event (its `traceparent`);
        current while the handler runs, so the events the handler stages carry the same trace."""
        parent = context_from({"traceparent": item.event.traceparent}) if item.event.traceparent else None
        with tracer.start_as_current_span(
            f"{item.event.type} process",
            context=parent,
            kind=SpanKind.CONSUMER,
            attributes={
                **self.span_attributes(item.topic, item.event.type),
                "messaging.message.id": item.event.id,
                "messaging.kafka.offset": item.offset,
                "messaging.destination.partition.id": str(item.partition),
            },
        ):
            yield

    @contextmanager
    def batch_span(self, run: Sequence[Received]) -> Iterator[None]:
        """One span for a run applied together (OpenTelemetry messaging, batch processing): not a
        child of any event's span but linked to each; events staged meanwhile carry its trace."""
        links = [Link(context) for item in run if (context := staging_span(item)) is not None]
        with tracer.start_as_current_span(
            f"{run[0].event.type} process",
            kind=SpanKind.CONSUMER,
            links=links,
            attributes={
                **self.span_attributes(run[0].topic, run[0].event.type),  # a type has one topic
                "messaging.batch.message_count": len(run),
            },
        ):
            yield

    def span_attributes(self, topic: str, event_type: str) -> dict[str, str]:
        return {
            "messaging.system": "kafka",
            "messaging.operation.type": "process",
            "messaging.destination.name": topic,
            "messaging.consumer.group.name": self.name,
            "cloudevents.event_type": event_type,
        }

    async def apply_with_retries(self, item: Received, stop: asyncio.Event) -> bool:
        """Retry with backoff. Poison goes to the DLQ after `consumer_max_attempts`; an outage is
        retried while it lasts, but an outage-like error repeating identically
        `consumer_max_transient_repeats` times while the database answers is poison too (a bug
        that looks like an outage must not hold the partition for ever). False if stopped."""
        attempt = repeats = 0
        last: tuple[str, str] | None = None
        while not stop.is_set():
            attempt += 1
            try:
                await self.apply([item])
                return True
            except Exception as error:
                same = (type(error).__name__, str(error))
                repeats, last = (repeats + 1 if same == last else 1), same
                if is_transient(error):
                    poison = (
                        repeats >= self.settings.consumer_max_transient_repeats and await self.database_up()
                    )
                else:
                    poison = attempt >= self.settings.consumer_max_attempts
                if poison:
                    await self.dead_letter_received(item, error)
                    return not stop.is_set()  # stopped while the broker was away: it comes again
                delay = self.backoff(attempt)
                log.warning(
                    "event_failed",
                    consumer=self.name,
                    event_id=item.event.id,
                    type=item.event.type,
                    attempt=attempt,
                    retry_in=delay,
                    error=repr(error),
                )
                await wait(stop, delay)
        return False

    def backoff(self, attempt: int) -> float:
        return min(30.0, self.settings.consumer_backoff_seconds * 2 ** (attempt - 1))

    async def database_up(self) -> bool:
        try:
            await self.database.ping()
        except Exception:
            return False
        return True

    async def dead_letter_received(self, item: Received, error: BaseException) -> None:
        headers, value = item.event.to_kafka()
        value = item.value if item.value is not None else value
        await publish_dead_letter(
            self, item.topic, item.partition, item.offset, item.key, headers, value, error, item.event.type
        )

    async def dead_letter(self, record: ConsumerRecord[Any, Any], error: BaseException) -> None:
        key = record.key.decode() if isinstance(record.key, bytes) else record.key
        await publish_dead_letter(
            self,
            record.topic,
            record.partition,
            record.offset,
            key,
            list(record.headers or ()),
            record.value,
            error,
            "unreadable",  # not a type this platform knows: a bounded label, whatever the header says
        )
