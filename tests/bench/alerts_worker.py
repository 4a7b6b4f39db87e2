"""Benchmark: the alerts worker alone, marks already on the topic, at two population sizes.

Usage: python tests/bench/alerts_worker.py [--pupils 10000 500000]
For each size: a fresh alerts database (PostgreSQL) and topic data for a prefill day (so every
pupil has state), then one measured morning of marks for every pupil. Reports marks/s and the
cost per mark. Not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import uuid
from pathlib import Path

from report import print_figures

from alerts.handlers import HANDLERS
from alerts.settings import Settings
from alerts.worker import CONSUMER
from attendance_common.broker import free_port, start_broker, stop_broker
from attendance_common.db import Database
from attendance_common.events.envelope import make_event
from attendance_common.events.registers import MarksRecorded, RecordedMark
from attendance_common.identifiers import make_upn
from attendance_common.messaging import ConsumerSpec, Worker
from attendance_common.messaging.kafka import ensure_topics, make_producer
from attendance_common.migrations import upgrade_database
from attendance_common.testing.databases import DEFAULT_TEST_DATABASE_URL, TestDatabases

ROOT = Path(__file__).resolve().parents[2]
SCHOOL = 1_000
CODES = ["/"] * 92 + ["N"] * 4 + ["I"] * 2 + ["O", "M"]


async def publish_day(producer, topic_prefix: str, schools: int, day: dt.date, now: dt.datetime) -> int:
    """One AM register for every pupil: one event per school of 1,000 marks, keyed by URN."""
    sent = []
    for s in range(schools):
        urn = str(300_000 + s)
        marks = [
            RecordedMark.model_construct(
                upn=make_upn("801", f"{s % 10_000:04d}", f"{15 + s // 10_000:02d}", f"{p:03d}"),
                date=day,
                session="AM",
                code=CODES[(p * 7 + s + day.day) % 100],
                minutes_late=None,
                recorded_at=now,
            )
            for p in range(SCHOOL)
        ]
        event = make_event(MarksRecorded(school_urn=urn, la_code="380", marks=marks), source="registers")
        headers, value = event.to_kafka()
        sent.append(
            await producer.send(
                f"{topic_prefix}attendance.marks", value=value, key=urn.encode(), headers=headers
            )
        )
    await asyncio.gather(*sent)
    return schools * SCHOOL


async def consume(settings: Settings, url: str, group: str, events: int) -> float:
    """Run the alerts worker until it has applied `events` events; return the seconds it took."""
    spec = ConsumerSpec(group, ("attendance.marks",), HANDLERS, max_records=CONSUMER.max_records)
    worker = Worker(settings, Database(url), consumers=[spec])
    task = asyncio.create_task(worker.run())
    while not worker.consumers or worker.consumers[0].applied < events:
        if task.done():
            task.result()
        await asyncio.sleep(0.005)
    consumer = worker.consumers[0]
    assert consumer.first_batch_at is not None
    elapsed = asyncio.get_running_loop().time() - consumer.first_batch_at
    worker.stop.set()
    await task
    await worker.database.dispose()
    return elapsed


async def measure(pupils: int, bootstrap: str, databases: TestDatabases) -> dict[str, float]:
    schools = max(1, pupils // SCHOOL)
    url = databases.create("bench_alerts", backend="postgresql")
    upgrade_database(ROOT / "services/alerts/migrations", url)
    settings = Settings(
        database_url=url, kafka_bootstrap_servers=bootstrap, log_level="WARNING", kafka_partitions=6
    )
    await ensure_topics(settings)
    producer = make_producer(settings)
    await producer.start()
    now = dt.datetime.now(dt.UTC)
    group = f"bench-{uuid.uuid4().hex[:8]}"
    await publish_day(producer, "", schools, dt.date(2026, 11, 16), now)
    await consume(settings, url, group, schools)  # prefill: every pupil has state now
    marks = await publish_day(producer, "", schools, dt.date(2026, 11, 17), now)
    await producer.stop()
    elapsed = await consume(settings, url, group, schools)  # the same group: only the new morning
    return {
        "pupils": pupils,
        "marks": marks,
        "marks_per_s": round(marks / elapsed),
        "us_per_mark": round(elapsed / marks * 1e6, 1),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pupils", type=int, nargs="+", default=[10_000, 500_000])
    args = parser.parse_args()
    databases = TestDatabases(os.environ.get("TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL), Path("/tmp"))
    port = free_port()
    broker = start_broker(port)
    figures: dict[str, object] = {}
    try:
        results = [await measure(n, f"127.0.0.1:{port}", databases) for n in args.pupils]
    finally:
        stop_broker(broker)
        databases.drop_all()
    for result in results:
        for name, value in result.items():
            if name != "pupils":
                figures[f"alerts_{result['pupils']}_{name}"] = value
    if len(results) >= 2:
        figures["large_to_small_rate_ratio"] = round(
            results[-1]["marks_per_s"] / results[0]["marks_per_s"], 3
        )
    print_figures(figures)


if __name__ == "__main__":
    asyncio.run(main())
