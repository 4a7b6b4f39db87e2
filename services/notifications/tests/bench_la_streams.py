"""Benchmark: alerts/s onto the LAs' own topics (la_streams.py), staged and then published.

Usage: python services/notifications/tests/bench_la_streams.py [--alerts 20000] [--las 150]
       [--fetch 500]
Applies `--alerts` first-day alerts, spread over `--las` LAs, through the worker's
`notifications-la-streams` group (`EventConsumer.apply`, fetches of `--fetch`) into a fresh
migrated PostgreSQL database (TEST_DATABASE_URL, else the local default; `sqlite://` for SQLite),
then publishes the outbox to a local Tansu broker with the worker's relay, which creates each LA's
topic (and `.dlq`) on first use. Prints alerts/s for each stage. Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from attendance_common.broker import free_port, start_broker, stop_broker
from attendance_common.db import Database
from attendance_common.events.alerts import AlertRaised, Evidence, EvidenceMark
from attendance_common.events.catalog import decode
from attendance_common.events.envelope import make_event
from attendance_common.identifiers import make_upn
from attendance_common.messaging import EventConsumer, Received
from attendance_common.messaging.kafka import ensure_topics, make_producer
from attendance_common.messaging.relay import OutboxRelay
from attendance_common.migrations import upgrade_database
from attendance_common.testing.databases import DEFAULT_TEST_DATABASE_URL, TestDatabases
from notifications.main import MIGRATIONS
from notifications.settings import Settings
from notifications.worker import LA_STREAM_CONSUMER

MON = dt.date(2026, 11, 16)
NOW = dt.datetime(2026, 11, 16, 9, 0, tzinfo=dt.UTC)


def alert(n: int, las: int) -> Received:
    la = f"{200 + n % las}"
    data = AlertRaised(
        alert_id=str(uuid.uuid4()),
        type="first_day_absence",
        school_urn=f"{100000 + n % (las * 10)}",
        la_code=la,
        upn=make_upn("801", f"{n // 1000:04d}", "15", f"{n % 1000:03d}"),
        date=MON,
        raised_at=NOW,
        rule_version="2024.1",
        evidence=Evidence(figures={}, marks=[EvidenceMark(date=MON, session="AM", code="N")]),
    )
    event = make_event(data, source="alerts")
    return Received(event, decode(event), data.topic, 0, n, data.key())


async def bench(url: str, alerts: int, las: int, fetch: int) -> dict[str, Any]:
    port = free_port()
    broker = start_broker(port)
    settings = Settings(
        database_url=url,
        kafka_bootstrap_servers=f"127.0.0.1:{port}",
        kafka_enable_idempotence=False,
        kafka_partitions=6,
    )
    database = Database(settings.resolved_database_url)
    consumer = EventConsumer(
        name=LA_STREAM_CONSUMER.name,
        topics=LA_STREAM_CONSUMER.topics,
        handlers=LA_STREAM_CONSUMER.handlers,
        batch_handlers=LA_STREAM_CONSUMER.batch_handlers,
        database=database,
        settings=settings,
        producer=None,  # type: ignore[arg-type]  # apply() never dead-letters
    )
    producer = make_producer(settings)
    try:
        items = [alert(n, las) for n in range(alerts)]
        started = time.perf_counter()
        for start in range(0, len(items), fetch):
            await consumer.apply(items[start : start + fetch])
        staged = time.perf_counter() - started

        await ensure_topics(settings)
        await producer.start()

        async def ensure(topics: Any) -> None:
            await ensure_topics(settings, topics, wait_seconds=0)

        relay = OutboxRelay(database, producer, batch_size=500, ensure_topics=ensure)
        started = time.perf_counter()
        published = 0
        while (n := await relay.publish_pending()) > 0:
            published += n
        relayed = time.perf_counter() - started
        return {
            "alerts": alerts,
            "las": las,
            "fetch": fetch,
            "stage_seconds": round(staged, 2),
            "staged_per_second": round(alerts / staged),
            "relay_seconds": round(relayed, 2),
            "published_per_second": round(published / relayed),
            "published": published,
            "topics_created": len(relay.ready_topics),
        }
    finally:
        await producer.stop()
        await database.dispose()
        stop_broker(broker)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--alerts", type=int, default=20_000)
    parser.add_argument("--las", type=int, default=150)
    parser.add_argument("--fetch", type=int, default=500)
    args = parser.parse_args()
    admin = os.environ.get("TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL)
    with tempfile.TemporaryDirectory() as tmp:
        databases = TestDatabases(None if admin.startswith("sqlite") else admin, Path(tmp))
        try:
            url = databases.create("notifications_la_bench")
            upgrade_database(MIGRATIONS, url)
            print(asyncio.run(bench(url, args.alerts, args.las, args.fetch)))
        finally:
            databases.drop_all()


if __name__ == "__main__":
    main()
