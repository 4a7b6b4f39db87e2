"""Benchmark: marks events batched per school request vs one event per pupil, through outbox + relay.

Usage: python tests/bench/event_shapes.py [--marks 50000]
Stages the same marks both ways in PostgreSQL's outbox (as the registers API does) and publishes
them to a local Tansu broker with the relay. Prints a table, then one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import time
from pathlib import Path

from report import print_figures

from attendance_common.broker import free_port, start_broker, stop_broker
from attendance_common.db import CommonBase, Database
from attendance_common.events.registers import MarksRecorded, RecordedMark
from attendance_common.messaging import OutboxRelay, add_event
from attendance_common.messaging.kafka import ensure_topics, make_producer
from attendance_common.migrations import service_metadata
from attendance_common.settings import ServiceSettings
from attendance_common.testing.databases import DEFAULT_TEST_DATABASE_URL, TestDatabases

SCHOOL_SIZE = 1_000


def marks_for(school: int, now: dt.datetime) -> list[RecordedMark]:
    return [
        RecordedMark.model_construct(
            upn=f"A801{school:04d}15{p:03d}",
            date=dt.date(2026, 11, 16),
            session="AM",
            code="/",
            minutes_late=None,
            recorded_at=now,
        )
        for p in range(SCHOOL_SIZE)
    ]


async def measure(database: Database, relay: OutboxRelay, schools: int, per_pupil: bool) -> dict[str, float]:
    now = dt.datetime.now(dt.UTC)
    started = time.perf_counter()
    for school in range(schools):
        marks = marks_for(school, now)
        groups = [[m] for m in marks] if per_pupil else [marks]
        async with database.transaction() as session:  # one transaction per API request
            for group in groups:
                add_event(
                    session,
                    MarksRecorded(school_urn=f"{200000 + school}", la_code="380", marks=group),
                    source="bench",
                )
    staged = time.perf_counter() - started
    started = time.perf_counter()
    while await relay.publish_pending():
        pass
    published = time.perf_counter() - started
    total = schools * SCHOOL_SIZE
    return {
        "stage_marks_per_s": round(total / staged),
        "relay_marks_per_s": round(total / published),
        "events": schools * len(groups),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--marks", type=int, default=50_000)
    args = parser.parse_args()
    schools = max(1, args.marks // SCHOOL_SIZE)
    databases = TestDatabases(os.environ.get("TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL), Path("/tmp"))
    url = databases.create("bench_events", backend="postgresql")
    port = free_port()
    broker = start_broker(port)
    try:
        settings = ServiceSettings(
            service="bench", database_url=url, kafka_bootstrap_servers=f"127.0.0.1:{port}"
        )
        database = Database(url)
        async with database.engine.begin() as connection:
            for metadata in service_metadata(CommonBase.metadata)[1:]:
                await connection.run_sync(metadata.create_all)
        await ensure_topics(settings)
        producer = make_producer(settings)
        await producer.start()
        relay = OutboxRelay(database, producer, batch_size=500)
        figures = {}
        for name, per_pupil in (("per_request", False), ("per_pupil", True)):
            for key, value in (await measure(database, relay, schools, per_pupil)).items():
                figures[f"{name}_{key}"] = value
        await producer.stop()
        await database.dispose()
    finally:
        stop_broker(broker)
        databases.drop_all()
    figures["marks"] = schools * SCHOOL_SIZE
    print_figures(figures)


if __name__ == "__main__":
    asyncio.run(main())
