"""Notifications test fixtures: a migrated database per backend, a feed of events into it, the API,
and real local SMTP and HTTP servers standing in for the outside world."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from attendance_common.db import Database
from attendance_common.messaging import EventConsumer
from attendance_common.migrations import upgrade_database
from attendance_common.testing.apps import client_of, started
from attendance_common.testing.databases import TestDatabases
from attendance_common.testing.plugin import TEST_KAFKA_SETTINGS
from notifications.handlers import BATCH_HANDLERS, HANDLERS, MARK_HANDLERS, MARK_READERS
from notifications.main import create_app
from notifications.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))  # test helpers import by plain name, uniquely named

from notifications_servers import NOTIFY_API_KEY, HttpStandIn, SmtpHandler, http_stand_in, smtp_server
from notifications_support import Feed, new_urn

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


@pytest.fixture(scope="session")
async def smtp() -> AsyncIterator[tuple[SmtpHandler, int]]:
    async with smtp_server() as server:
        yield server


@pytest.fixture(scope="session")
async def stand_in() -> AsyncIterator[HttpStandIn]:
    async with http_stand_in() as server:
        yield server


@pytest.fixture(scope="session")
def notifications_settings(
    backend: str, test_databases: TestDatabases, kafka_bootstrap: str, smtp, stand_in
) -> Settings:
    url = test_databases.create("notifications", backend=backend)
    upgrade_database(MIGRATIONS, url)
    return Settings(
        database_url=url,
        kafka_bootstrap_servers=kafka_bootstrap,
        smtp_host="127.0.0.1",
        smtp_port=smtp[1],
        smtp_from="attendance@hill.example",
        notify_api_key=NOTIFY_API_KEY,
        notify_base_url=stand_in.base_url,
        delivery_backoff_seconds=60,
        delivery_max_attempts=3,
        **TEST_KAFKA_SETTINGS,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="session")
async def notifications_database(notifications_settings: Settings) -> AsyncIterator[Database]:
    database = Database(notifications_settings.resolved_database_url)
    yield database
    await database.dispose()


@pytest.fixture
def feed(notifications_database: Database, notifications_settings: Settings) -> Feed:
    consumer = EventConsumer(
        name="notifications",
        topics=[],
        handlers={**HANDLERS, **MARK_HANDLERS},
        batch_handlers=BATCH_HANDLERS,
        readers=MARK_READERS,
        database=notifications_database,
        settings=notifications_settings,
        producer=None,  # type: ignore[arg-type]  # apply() never dead-letters
    )
    return Feed(consumer, notifications_database, new_urn())


@pytest.fixture(scope="session")
async def notifications_app(notifications_settings: Settings) -> AsyncIterator[object]:
    async with started(create_app(notifications_settings)) as app:
        yield app


@pytest.fixture
async def client(notifications_app: object) -> AsyncIterator[httpx.AsyncClient]:
    async with client_of(notifications_app, "notifications") as c:
        yield c
