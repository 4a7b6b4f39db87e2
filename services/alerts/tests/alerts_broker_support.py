"""Helpers for alerts tests over the session's broker: running workers, waiting, reading topics.

The broker is shared by the whole test session and its topics hold other tests' events: every
reader here filters by the caller's own key (UPN or URN).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer
from sqlalchemy import select

from alerts.models import Alert
from alerts.settings import Settings
from attendance_common.db import Database
from attendance_common.messaging.inbox import InboxRow
from attendance_common.migrations import upgrade_database
from attendance_common.testing.databases import TestDatabases
from attendance_common.testing.plugin import TEST_KAFKA_SETTINGS

T = TypeVar("T")
MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


def fresh_alerts_settings(test_databases: TestDatabases, backend: str, bootstrap: str) -> Settings:
    """Settings on a new, migrated alerts database (nothing applied yet)."""
    url = test_databases.create("alerts", backend=backend)
    upgrade_database(MIGRATIONS, url)
    return Settings(database_url=url, kafka_bootstrap_servers=bootstrap, **TEST_KAFKA_SETTINGS)


async def alerts_in(database: Database, *, urn: str, status: str | None = None) -> list[Alert]:
    async with database.transaction() as session:
        query = select(Alert).where(Alert.school_urn == urn)
        if status:
            query = query.where(Alert.status == status)
        return list(await session.scalars(query.order_by(Alert.raised_at, Alert.id)))


async def applied(database: Database, consumer: str, event_ids: set[str]) -> bool:
    """Whether `consumer` has applied every one of `event_ids` (its inbox holds them)."""
    async with database.transaction() as session:
        rows = await session.scalars(
            select(InboxRow.event_id).where(
                InboxRow.consumer == consumer, InboxRow.event_id.in_(sorted(event_ids))
            )
        )
        return set(rows) == event_ids


@dataclass(frozen=True)
class Published:
    """One record as it sits on a topic: key, CloudEvents headers, raw and decoded value."""

    key: bytes | None
    headers: dict[str, bytes]
    value: bytes
    data: dict[str, Any]

    @property
    def type(self) -> str:
        return self.headers["ce_type"].decode()


class TopicReader:
    """Reads a topic from its start without a group, keeping the records with one key."""

    def __init__(self, bootstrap: str, topic: str, key: str) -> None:
        self.key = key.encode()
        self.consumer = AIOKafkaConsumer(
            topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
        )
        self.records: list[Published] = []

    async def __aenter__(self) -> TopicReader:
        await self.consumer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.consumer.stop()

    async def until(self, event_type: str, *, timeout: float = 30) -> Published:
        """The first record of `event_type` with our key, reading on until it arrives."""
        async with asyncio.timeout(timeout):
            while True:
                for record in self.records:
                    if record.type == event_type:
                        return record
                for records in (await self.consumer.getmany(timeout_ms=500)).values():
                    self.records += [
                        Published(r.key, dict(r.headers), r.value, json.loads(r.value))
                        for r in records
                        if r.key == self.key
                    ]
