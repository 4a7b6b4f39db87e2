"""Fixtures for the spine tests: a migrated database, a producer, and a consumer runner."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from attendance_common.db import Database
from attendance_common.messaging.kafka import ensure_topics, make_producer
from attendance_common.migrations import upgrade_database
from attendance_common.settings import ServiceSettings
from attendance_common.testing.databases import TestDatabases
from attendance_common.testing.plugin import TEST_KAFKA_SETTINGS

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))  # spine_migrations/env.py and the crash script import spine_tables

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def spine_url(test_databases: TestDatabases) -> str:
    url = test_databases.create("spine")
    upgrade_database(HERE / "spine_migrations", url)
    return url


@pytest.fixture(scope="session")
def settings(spine_url: str, kafka_bootstrap: str) -> ServiceSettings:
    return ServiceSettings(
        service="spine",
        database_url=spine_url,
        kafka_bootstrap_servers=kafka_bootstrap,
        **TEST_KAFKA_SETTINGS,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="session")
async def database(settings: ServiceSettings) -> AsyncIterator[Database]:
    database = Database(settings.resolved_database_url)
    yield database
    await database.dispose()


@pytest.fixture(scope="session")
async def producer(settings: ServiceSettings) -> AsyncIterator[AIOKafkaProducer]:
    await ensure_topics(settings)
    producer = make_producer(settings)
    await producer.start()
    yield producer
    await producer.stop()
