"""Benchmark: first-day alerts/s through the notifications consumer, in process (no broker).

Usage: python services/notifications/tests/bench_alerts_throughput.py [--pupils 2000] [--fetch 200]
       [--one-by-one]
Seeds a fresh migrated PostgreSQL database (TEST_DATABASE_URL, else the local default; `sqlite://`
for SQLite) with one school and `--pupils` pupils, each with two parents (email and phone), then
applies one `first_day_absence` alert per pupil through `EventConsumer.apply` in fetches of
`--fetch` records, as the worker's `notifications` group does (its handlers, and its batch handlers
unless `--one-by-one`). Prints alerts/s and the deliveries and feed messages written. Not a test.
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

from sqlalchemy import func, select

from attendance_common.db import Database
from attendance_common.events.alerts import AlertRaised, Evidence, EvidenceMark
from attendance_common.events.base import EventData
from attendance_common.events.catalog import decode
from attendance_common.events.envelope import make_event
from attendance_common.events.registers import Characteristics, Contact, PupilUpserted, SchoolUpserted
from attendance_common.identifiers import make_upn
from attendance_common.messaging import EventConsumer, Received
from attendance_common.migrations import upgrade_database
from attendance_common.testing.databases import DEFAULT_TEST_DATABASE_URL, TestDatabases
from notifications.main import MIGRATIONS
from notifications.models import Delivery, Message
from notifications.settings import Settings
from notifications.worker import CONSUMER

URN, LA = "123456", "380"
MON = dt.date(2026, 11, 16)
NOW = dt.datetime(2026, 11, 16, 9, 0, tzinfo=dt.UTC)


def received(data: EventData, offset: int, source: str) -> Received:
    event = make_event(data, source=source)
    return Received(event, decode(event), data.topic, 0, offset, data.key())


def pupil(n: int) -> PupilUpserted:
    upn = make_upn("801", f"{n // 1000:04d}", "15", f"{n % 1000:03d}")
    parents = [
        Contact(
            contact_id=f"c{n}-{p}",
            name=f"Parent {p} of {n}",
            relationship="parent",
            parental_responsibility=True,
            email=f"parent{p}-{n}@example.com",
            phone=f"0770090{n:04d}",
            priority=p,
        )
        for p in (1, 2)
    ]
    return PupilUpserted(
        school_urn=URN,
        la_code=LA,
        upn=upn,
        given_name=f"Child{n}",
        family_name="Lovelace",
        year_group="6",
        start_date=dt.date(2025, 9, 1),
        characteristics=Characteristics(),
        contacts=parents,
    )


def alert(upn: str) -> AlertRaised:
    return AlertRaised(
        alert_id=str(uuid.uuid4()),
        type="first_day_absence",
        school_urn=URN,
        la_code=LA,
        upn=upn,
        date=MON,
        raised_at=NOW,
        rule_version="2024.1",
        evidence=Evidence(figures={}, marks=[EvidenceMark(date=MON, session="AM", code="N")]),
    )


async def apply_in_fetches(consumer: EventConsumer, items: list[Received], fetch: int) -> float:
    """Seconds to apply `items`, `fetch` at a time (one transaction each, as the worker does)."""
    started = time.perf_counter()
    for start in range(0, len(items), fetch):
        await consumer.apply(items[start : start + fetch])
    return time.perf_counter() - started


async def bench(url: str, pupils: int, fetch: int, one_by_one: bool) -> dict[str, Any]:
    settings = Settings(database_url=url)
    database = Database(settings.resolved_database_url)
    consumer = EventConsumer(
        name=CONSUMER.name,
        topics=CONSUMER.topics,
        handlers=CONSUMER.handlers,
        batch_handlers={} if one_by_one else CONSUMER.batch_handlers,
        database=database,
        settings=settings,
        producer=None,  # type: ignore[arg-type]  # apply() never dead-letters
    )
    try:
        offsets = iter(range(10**9))
        school = SchoolUpserted(urn=URN, name="Hill Primary", la_code=LA, phase="primary")
        seed = [received(school, next(offsets), "registers")]
        seed += [received(pupil(n), next(offsets), "registers") for n in range(pupils)]
        await apply_in_fetches(consumer, seed, fetch)
        alerts = [received(alert(item.data.upn), next(offsets), "alerts") for item in seed[1:]]  # type: ignore[attr-defined]
        seconds = await apply_in_fetches(consumer, alerts, fetch)
        async with database.transaction() as session:
            deliveries = await session.scalar(select(func.count()).select_from(Delivery))
            messages = await session.scalar(select(func.count()).select_from(Message))
        return {
            "alerts": len(alerts),
            "fetch": fetch,
            "seconds": round(seconds, 2),
            "alerts_per_second": round(len(alerts) / seconds),
            "deliveries": deliveries,
            "messages": messages,
            "batch_handlers": sorted(consumer.batch_handlers),
        }
    finally:
        await database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pupils", type=int, default=2000)
    parser.add_argument("--fetch", type=int, default=200)
    parser.add_argument("--one-by-one", action="store_true", help="without the batch handlers")
    args = parser.parse_args()
    admin = os.environ.get("TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL)
    with tempfile.TemporaryDirectory() as tmp:
        databases = TestDatabases(None if admin.startswith("sqlite") else admin, Path(tmp))
        try:
            url = databases.create("notifications_bench")
            upgrade_database(MIGRATIONS, url)
            print(asyncio.run(bench(url, args.pupils, args.fetch, args.one_by_one)))
        finally:
            databases.drop_all()


if __name__ == "__main__":
    main()
