"""Helpers for casework tests over the session's broker: publishing upstream events, running the
worker, reading `attendance.cases`. Topics hold other tests' events: readers filter by key."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer

from attendance_common.events.base import EventData
from attendance_common.events.envelope import make_event
from attendance_common.messaging.kafka import ensure_topics, make_producer
from attendance_common.migrations import upgrade_database
from attendance_common.testing.databases import TestDatabases
from attendance_common.testing.plugin import TEST_KAFKA_SETTINGS
from casework.settings import Settings

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


def fresh_casework_settings(test_databases: TestDatabases, backend: str, bootstrap: str) -> Settings:
    url = test_databases.create("casework", backend=backend)
    upgrade_database(MIGRATIONS, url)
    return Settings(database_url=url, kafka_bootstrap_servers=bootstrap, **TEST_KAFKA_SETTINGS)


async def publish(settings: Settings, *items: tuple[EventData, str]) -> None:
    """Publish (data, source) pairs as their producers would: binary CloudEvents, keyed, in order."""
    await ensure_topics(settings)
    producer = make_producer(settings)
    await producer.start()
    try:
        for data, source in items:
            headers, value = make_event(data, source=source).to_kafka()
            await producer.send_and_wait(data.topic, value=value, key=data.key().encode(), headers=headers)
    finally:
        await producer.stop()


async def read_until(bootstrap: str, topic: str, key: str, types: set[str], timeout: float = 30) -> list[Any]:
    """Records with `key` from the start of `topic`, until one of each of `types` has arrived."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    found: list[Any] = []
    try:
        async with asyncio.timeout(timeout):
            while not types <= {dict(r.headers)["ce_type"].decode() for r in found}:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    found += [r for r in records if r.key == key.encode()]
    finally:
        await consumer.stop()
    return [(dict(r.headers)["ce_type"].decode(), json.loads(r.value), r) for r in found]
