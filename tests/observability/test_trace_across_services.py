"""One trace from a mark's POST to registers, through its outbox and `attendance.marks`, to the alert
the alerts worker raised and published on `attendance.alerts` (architecture.md "Observability").

Spans are caught by an in-memory exporter added to the process's tracer provider; the raised
alert's `ce_traceparent` header is read from the topic itself.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from alerts.main import MIGRATIONS as ALERTS_MIGRATIONS
from alerts.settings import Settings as AlertsSettings
from alerts.worker import make_worker as make_alerts_worker
from attendance_common.auth import mint_token
from attendance_common.auth.tokens import DEVELOPMENT_JWT_SECRET
from attendance_common.events.base import ALERTS_TOPIC
from attendance_common.identifiers import make_upn
from attendance_common.messaging import Worker
from attendance_common.migrations import upgrade_database
from attendance_common.testing.plugin import TEST_KAFKA_SETTINGS
from attendance_common.tracing import configure_tracing
from registers.main import create_app as create_registers_app
from registers.settings import Settings as RegistersSettings
from registers.worker import make_worker as make_registers_worker

pytestmark = pytest.mark.integration
MON = dt.date(2026, 11, 16)


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    configure_tracing("tests").add_span_processor(SimpleSpanProcessor(exporter))
    yield exporter
    exporter.shutdown()  # the processor stays on the provider; a shut exporter keeps nothing


@asynccontextmanager
async def running(worker: Worker) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(worker.run())
    try:
        yield task
    finally:
        worker.stop.set()
        try:
            await asyncio.wait_for(task, timeout=30)
        finally:
            await worker.database.dispose()


async def first_record(bootstrap: str, topic: str, key: str, event_type: str) -> dict[str, bytes]:
    """The headers of the first record of `event_type` keyed `key` on `topic` (read from its start)."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    try:
        async with asyncio.timeout(60):
            while True:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    for record in records:
                        headers = dict(record.headers)
                        if record.key == key.encode() and headers.get("ce_type") == event_type.encode():
                            return headers
    finally:
        await consumer.stop()


def one(spans: list[ReadableSpan], name: str) -> ReadableSpan:
    found = [s for s in spans if s.name == name]
    assert len(found) == 1, [s.name for s in spans]
    return found[0]


async def test_one_trace_spans_a_marks_post_and_the_alert_it_raised(
    spans, test_databases, kafka_bootstrap, backend
):
    urn = str(random.randint(900_000, 999_999))
    upn = make_upn("801", f"{random.randint(0, 9999):04d}", "15", f"{random.randint(0, 999):03d}")
    registers_settings = RegistersSettings(
        database_url=test_databases.create("registers", backend=backend),
        kafka_bootstrap_servers=kafka_bootstrap,
        **TEST_KAFKA_SETTINGS,  # type: ignore[arg-type]
    )
    alerts_url = test_databases.create("alerts", backend=backend)
    upgrade_database(ALERTS_MIGRATIONS, alerts_url)
    alerts_settings = AlertsSettings(
        database_url=alerts_url,
        kafka_bootstrap_servers=kafka_bootstrap,
        **TEST_KAFKA_SETTINGS,  # type: ignore[arg-type]
    )
    app = create_registers_app(registers_settings)
    token = mint_token(secret=DEVELOPMENT_JWT_SECRET, sub=f"mis-{urn}", role="mis", schools=[urn])
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://registers") as client,
        running(make_registers_worker(registers_settings)),
        running(make_alerts_worker(alerts_settings)),
    ):
        client.headers["Authorization"] = f"Bearer {token}"
        school = {"name": "Hill Primary", "la_code": "380", "phase": "primary"}
        admin = {
            "Authorization": f"Bearer {mint_token(secret=DEVELOPMENT_JWT_SECRET, sub='admin', role='admin')}"
        }
        assert (await client.put(f"/v1/schools/{urn}", json=school, headers=admin)).status_code == 201
        pupil = {
            "given_name": "Ada",
            "family_name": "Lovelace",
            "date_of_birth": "2015-12-10",
            "year_group": "6",
            "start_date": "2025-09-01",
        }
        assert (await client.put(f"/v1/schools/{urn}/pupils/{upn}", json=pupil)).status_code == 201
        marks = {"marks": [{"upn": upn, "date": MON.isoformat(), "session": "AM", "code": "N"}]}
        posted = await client.post(f"/v1/schools/{urn}/marks", json=marks)
        assert posted.status_code == 200, posted.text
        raised = await first_record(kafka_bootstrap, ALERTS_TOPIC, upn, "attendance.alert.raised")

    _, trace_id, parent_span_id, _ = raised["ce_traceparent"].decode().split("-")
    finished = spans.get_finished_spans()
    post = one(finished, "POST /v1/schools/{urn}/marks")
    assert post.kind == SpanKind.SERVER
    assert format(post.context.trace_id, "032x") == trace_id
    # The alerts worker's span for the marks event continues the POST's trace, and staged the alert.
    (consumed,) = [
        s
        for s in finished
        if s.name == "attendance.mark.recorded process" and s.context.trace_id == post.context.trace_id
    ]
    assert consumed.kind == SpanKind.CONSUMER
    assert consumed.parent is not None and consumed.parent.is_remote
    in_the_request = {s.context.span_id for s in finished if s.context.trace_id == post.context.trace_id}
    assert consumed.parent.span_id in in_the_request  # the span that staged the marks event
    assert format(consumed.context.span_id, "016x") == parent_span_id
