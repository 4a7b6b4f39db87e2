"""Alerts test fixtures: a migrated alerts database per backend and a feed of events into it."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from alerts.handlers import HANDLERS, READERS
from alerts.main import create_app
from alerts.settings import Settings
from attendance_common.db import Database
from attendance_common.messaging import EventConsumer
from attendance_common.migrations import upgrade_database
from attendance_common.testing.apps import client_of, started
from attendance_common.testing.databases import TestDatabases
from attendance_common.testing.plugin import TEST_KAFKA_SETTINGS

sys.path.insert(0, str(Path(__file__).parent))  # test helpers import by plain name, uniquely named

from alerts_support import Feed, new_urn

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


@pytest.fixture(scope="session")
def alerts_settings(backend: str, test_databases: TestDatabases, kafka_bootstrap: str) -> Settings:
    url = test_databases.create("alerts", backend=backend)
    upgrade_database(MIGRATIONS, url)
    return Settings(database_url=url, kafka_bootstrap_servers=kafka_bootstrap, **TEST_KAFKA_SETTINGS)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
async def alerts_database(alerts_settings: Settings) -> AsyncIterator[Database]:
    database = Database(alerts_settings.resolved_database_url)
    yield database
    await database.dispose()


@pytest.fixture
def feed(alerts_database: Database, alerts_settings: Settings) -> Feed:
    consumer = EventConsumer(
        name="alerts",
        topics=[],
        handlers=HANDLERS,
        readers=READERS,
        database=alerts_database,
        settings=alerts_settings,
        producer=None,  # type: ignore[arg-type]  # apply() never dead-letters
    )
    return Feed(consumer, alerts_database, new_urn())


@pytest.fixture(scope="session")
async def alerts_app(alerts_settings: Settings) -> AsyncIterator[object]:
    """The alerts HTTP app on the same database as `feed`."""
    async with started(create_app(alerts_settings)) as app:
        yield app


@pytest.fixture
async def client(alerts_app: object) -> AsyncIterator[httpx.AsyncClient]:
    async with client_of(alerts_app, "alerts") as c:
        yield c
