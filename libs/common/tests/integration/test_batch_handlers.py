"""Batch handlers: a fetch's runs of consecutive events of one type applied in one call, in order,
each event still once; a failing run falls back to one by one (poison to the DLQ, the rest applied);
one span per run, linked to each event's trace (OpenTelemetry messaging, batch processing)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence

import pytest
from aiokafka import ConsumerRecord
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanContext, SpanKind
from spine_support import unique
from spine_tables import apply_school, effects_for
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.events.base import EventData
from attendance_common.events.catalog import decode
from attendance_common.events.envelope import make_event
from attendance_common.events.registers import MarksRecorded, SchoolUpserted
from attendance_common.messaging import EventConsumer, Received
from attendance_common.tracing import configure_tracing, current_traceparent, tracer

pytestmark = pytest.mark.integration
SCHOOL = SchoolUpserted.event_type
MARKS = MarksRecorded.event_type


def received(data: EventData, offset: int = 0, traceparent: str | None = None) -> Received:
    event = make_event(data, source="spine", traceparent=traceparent)
    return Received(event, decode(event), data.topic, 0, offset, data.key())


def record(item: Received) -> ConsumerRecord[bytes, bytes]:
    headers, value = item.event.to_kafka()
    return ConsumerRecord(item.topic, 0, item.offset, 0, 0, None, value, None, 0, len(value), headers)


class Calls(EventConsumer):
    """Notes each handler call and each dead-lettered event instead of publishing it."""

    def __init__(self, settings, database) -> None:  # type: ignore[no-untyped-def]
        self.calls: list[tuple[str, list[str]]] = []
        self.dead: list[str] = []
        super().__init__(
            name=unique("batched-"),
            topics=[],
            handlers={SCHOOL: self.one, MARKS: self.marks},
            batch_handlers={SCHOOL: self.many},
            database=database,
            settings=settings,
            producer=None,  # type: ignore[arg-type]
        )

    async def one(self, session: AsyncSession, item: Received) -> None:
        raise AssertionError("a type with a batch handler goes to it, even alone")

    async def many(self, session: AsyncSession, items: Sequence[Received]) -> None:
        self.calls.append(("schools", [item.data.name for item in items]))  # type: ignore[attr-defined]
        for item in items:
            await apply_school(session, item)

    async def marks(self, session: AsyncSession, item: Received) -> None:
        self.calls.append(("marks", [item.event.id]))

    async def dead_letter_received(self, item: Received, error: BaseException) -> None:
        self.dead.append(item.data.name)  # type: ignore[attr-defined]


def schools(urn: str, *names: str) -> Iterator[Received]:
    for offset, name in enumerate(names):
        yield received(SchoolUpserted(urn=urn, name=name, la_code="380"), offset)


async def test_runs_of_a_batched_type_go_together_in_order_each_event_once(settings, database):
    consumer = Calls(settings, database)
    urn = unique("b")
    a, b, c, d = schools(urn, "a", "b", "c", "d")
    marks = received(MarksRecorded(school_urn="100001", la_code="380", marks=[]))
    await consumer.apply([a, b, a, marks, c, marks, d])
    assert consumer.calls == [("schools", ["a", "b"]), ("marks", [marks.event.id]), ("schools", ["c", "d"])]
    assert (consumer.applied, consumer.skipped) == (5, 2)
    await consumer.apply([b, c])  # all applied before: nothing is handed over
    assert len(consumer.calls) == 3
    async with database.transaction() as session:
        assert await effects_for(session, [urn]) == {urn: ["a", "b", "c", "d"]}


async def test_a_failing_run_is_applied_one_by_one_and_its_poison_dead_lettered(settings, database):
    consumer = Calls(settings, database)
    urn = unique("b")
    items = list(schools(urn, "before", "POISON", "after"))
    assert await consumer.process([record(item) for item in items], asyncio.Event())
    assert consumer.calls[0] == ("schools", ["before", "POISON", "after"])  # rolled back
    poison = [("schools", ["POISON"])] * settings.consumer_max_attempts
    assert consumer.calls[1:] == [("schools", ["before"]), *poison, ("schools", ["after"])]
    assert consumer.dead == ["POISON"]
    async with database.transaction() as session:
        assert await effects_for(session, [urn]) == {urn: ["before", "after"]}


async def test_a_run_has_one_span_linked_to_each_events_trace(settings, database):
    exporter = InMemorySpanExporter()
    configure_tracing("spine").add_span_processor(SimpleSpanProcessor(exporter))
    current: list[str | None] = []

    async def many(session: AsyncSession, items: Sequence[Received]) -> None:
        current.append(current_traceparent())  # what events staged here would carry

    consumer = EventConsumer(
        name=unique("traced-"),
        topics=[],
        handlers={SCHOOL: apply_school},
        batch_handlers={SCHOOL: many},
        database=database,
        settings=settings,
        producer=None,  # type: ignore[arg-type]
    )
    parents = []
    for _ in range(4):
        with tracer.start_as_current_span("request") as span:
            parents.append(span.get_span_context())
    items = [
        received(SchoolUpserted(urn=unique("t"), name=f"n{i}", la_code="380"), i, traceparent_of(parent))
        for i, parent in enumerate(parents)
    ]
    try:
        await consumer.apply(items[:3])
        await consumer.apply(items[3:])
    finally:
        exporter.shutdown()
    batch, alone = [s for s in exporter.get_finished_spans() if s.name == f"{SCHOOL} process"]
    assert batch.kind == SpanKind.CONSUMER
    assert batch.attributes is not None and batch.attributes["messaging.batch.message_count"] == 3
    assert [link.context.span_id for link in batch.links] == [p.span_id for p in parents[:3]]
    assert current[0] is not None and current[0].split("-")[1] == format(batch.context.trace_id, "032x")
    # A run of one is its event's own span, a child in the event's trace (as without batch handlers).
    assert alone.parent is not None and alone.parent.span_id == parents[3].span_id
    assert alone.attributes is not None and alone.attributes["messaging.message.id"] == items[3].event.id


def traceparent_of(context: SpanContext) -> str:
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-01"
