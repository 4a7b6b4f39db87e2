"""Metrics and trace context on the spine: /metrics, relay and consumer counters, lag, and the
traceparent that staged events inherit (architecture.md "Observability")."""

from __future__ import annotations

import time

import httpx
import pytest
from fastapi import APIRouter
from prometheus_client import REGISTRY
from spine_support import HERE, run_until, unique
from spine_tables import apply_school
from sqlalchemy import select

from attendance_common.auth import mint_token
from attendance_common.events.base import PUPILS_TOPIC
from attendance_common.events.registers import SchoolUpserted
from attendance_common.messaging import EventConsumer, OutboxRelay, Received, add_event
from attendance_common.messaging.kafka import make_consumer
from attendance_common.messaging.outbox import OutboxRow
from attendance_common.tracing import configure_tracing, current_traceparent, tracer
from attendance_common.web import create_service_app

pytestmark = pytest.mark.integration
SCHOOL = SchoolUpserted.event_type


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def school(urn: str, name: str = "Hill Primary") -> SchoolUpserted:
    return SchoolUpserted(urn=urn, name=name, la_code="380")


def trace_id_of(traceparent: str | None) -> str:
    assert traceparent is not None
    return traceparent.split("-")[1]


def consumer_for(settings, database, producer, handler) -> EventConsumer:  # type: ignore[no-untyped-def]
    return EventConsumer(
        name=unique("observed-"),
        topics=[PUPILS_TOPIC],
        handlers={SCHOOL: handler},
        database=database,
        settings=settings,
        producer=producer,
    )


async def test_metrics_endpoint_times_requests_by_route_template(settings, spine_url):
    router = APIRouter()

    @router.get("/v1/things/{urn}")
    async def thing(urn: str) -> dict[str, str]:
        return {"urn": urn}

    service = unique("metrics-")
    app = create_service_app(
        settings.model_copy(update={"service": service}),
        title="metrics",
        routers=[router],
        migrations=HERE / "spine_migrations",
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            client.headers["Authorization"] = "Bearer " + mint_token(
                secret=settings.jwt_secret, sub="a", role="admin"
            )
            for urn in ("100001", "100002"):
                assert (await client.get(f"/v1/things/{urn}")).status_code == 200
            assert (await client.get("/nowhere")).status_code == 404
            scraped = await client.get("/metrics")
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")
    histogram = "attendance_http_request_duration_seconds_count"
    labels = {"service": service, "method": "GET"}
    assert sample(histogram, **labels, route="/v1/things/{urn}", status="200") == 2
    assert sample(histogram, **labels, route="unmatched", status="404") == 1
    assert f'service="{service}"' in scraped.text


async def test_relay_counts_what_it_published_and_the_backlog_it_left(database, producer):
    service = unique("relay-")
    relay = OutboxRelay(database, producer, service=service)
    while await relay.publish_pending():  # earlier tests' leftovers, so the counts below are exact
        pass
    before = await relay.count_backlog()
    async with database.transaction() as session:
        for _ in range(3):
            add_event(session, school(unique("m")), source="spine")
    assert await relay.count_backlog() == before + 3
    assert sample("attendance_outbox_backlog", service=service) == before + 3
    assert await relay.publish_pending() == 3
    assert sample("attendance_events_published_total", service=service, topic=PUPILS_TOPIC, type=SCHOOL) == 3
    assert await relay.count_backlog() == 0


async def test_consumer_counts_applied_skipped_and_dead_lettered_by_topic_and_type(
    settings, database, producer
):
    urns = [unique("k") for _ in range(2)]
    poison = unique("k")
    async with database.transaction() as session:
        for urn in urns:
            add_event(session, school(urn), source="spine")
        add_event(session, school(poison, "POISON"), source="spine")
    await OutboxRelay(database, producer).publish_pending()
    consumer = consumer_for(settings, database, producer, apply_school)

    async def all_done() -> bool:
        return consumer.applied >= 2 and consumer.dead_lettered >= 1

    await run_until(consumer, all_done)
    labels = {"consumer": consumer.name, "topic": PUPILS_TOPIC, "type": SCHOOL}
    # The group is new, so it read the topic from the start: earlier tests' schools count as applied too.
    assert sample("attendance_events_consumed_total", **labels, outcome="applied") == consumer.applied
    # Earlier tests' poison is on the topic too, and a fetch applies the oldest first.
    assert sample("attendance_events_consumed_total", **labels, outcome="dead_lettered") == (
        consumer.dead_lettered
    )
    assert consumer.dead_lettered >= 1
    assert sample("attendance_dead_lettered_total", consumer=consumer.name, topic=PUPILS_TOPIC) == (
        consumer.dead_lettered
    )


async def test_the_last_event_a_consumer_applied_is_its_type_and_time(settings, database, producer):
    async with database.transaction() as session:
        add_event(session, school(unique("t")), source="spine")
    await OutboxRelay(database, producer).publish_pending()
    consumer = consumer_for(settings, database, producer, apply_school)
    started = time.time()

    async def applied() -> bool:
        return consumer.applied >= 1

    await run_until(consumer, applied)
    at = sample("attendance_last_event_applied_timestamp_seconds", consumer=consumer.name, type=SCHOOL)
    assert started <= at <= time.time()


async def test_lag_is_measured_for_each_assigned_partition(settings, database, producer):
    async with database.transaction() as session:
        add_event(session, school(unique("l")), source="spine")
    await OutboxRelay(database, producer).publish_pending()
    observed = consumer_for(settings, database, producer, apply_school)
    kafka = make_consumer(settings, observed.name, [PUPILS_TOPIC])
    await kafka.start()
    try:
        while not await kafka.getmany(timeout_ms=500):  # joined, assigned and fetched
            pass
        await observed.measure_lag(kafka)
        assigned = {str(tp.partition) for tp in kafka.assignment()}
    finally:
        await kafka.stop()
    lags = {
        s.labels["partition"]: s.value
        for metric in REGISTRY.collect()
        if metric.name == "attendance_consumer_lag"
        for s in metric.samples
        if s.labels["consumer"] == observed.name
    }
    assert set(lags) == assigned
    assert all(lag >= 0 for lag in lags.values())


async def test_events_staged_in_a_span_carry_its_trace(database):
    configure_tracing("spine")
    urn = unique("t")
    with tracer.start_as_current_span("use case") as span:
        async with database.transaction() as session:
            event = add_event(session, school(urn), source="spine")
    expected = format(span.get_span_context().trace_id, "032x")
    assert trace_id_of(event.traceparent) == expected
    async with database.transaction() as session:
        row = (await session.scalars(select(OutboxRow).where(OutboxRow.event_id == event.id))).one()
    assert trace_id_of(row.traceparent) == expected
    assert current_traceparent() is None  # outside the span, nothing is current


async def test_a_handler_runs_in_its_events_trace_so_what_it_stages_continues_it(
    settings, database, producer
):
    configure_tracing("spine")
    urn = unique("h")
    with tracer.start_as_current_span("request") as span:
        async with database.transaction() as session:
            add_event(session, school(urn), source="spine")
    await OutboxRelay(database, producer).publish_pending()
    seen: dict[str, str | None] = {}

    async def note_traceparent(session, received: Received) -> None:  # type: ignore[no-untyped-def]
        seen[received.data.urn] = current_traceparent()  # type: ignore[attr-defined]

    consumer = consumer_for(settings, database, producer, note_traceparent)

    async def handled() -> bool:
        return urn in seen

    await run_until(consumer, handled)
    assert trace_id_of(seen[urn]) == format(span.get_span_context().trace_id, "032x")
