"""Casework test fixtures: a migrated casework database per backend, a feed of events into it, the app."""

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
from casework.handlers import make_batch_handlers, make_handlers
from casework.main import create_app
from casework.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))  # test helpers import by plain name, uniquely named

from casework_support import Feed

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


@pytest.fixture(scope="session")
def casework_settings(backend: str, test_databases: TestDatabases, kafka_bootstrap: str) -> Settings:
    url = test_databases.create("casework", backend=backend)
    upgrade_database(MIGRATIONS, url)
    return Settings(database_url=url, kafka_bootstrap_servers=kafka_bootstrap, **TEST_KAFKA_SETTINGS)


@pytest.fixture(scope="session")
async def casework_database(casework_settings: Settings) -> AsyncIterator[Database]:
    database = Database(casework_settings.resolved_database_url)
    yield database
    await database.dispose()


@pytest.fixture
def feed(casework_database: Database, casework_settings: Settings) -> Feed:
    consumer = EventConsumer(
        name="casework",
        topics=[],
        handlers=make_handlers(casework_settings),
        batch_handlers=make_batch_handlers(casework_settings),
        database=casework_database,
        settings=casework_settings,
        producer=None,  # apply() never dead-letters
    )
    return Feed(consumer, casework_database)


@pytest.fixture(scope="session")
async def casework_app(casework_settings: Settings) -> AsyncIterator[object]:
    """The casework HTTP app on the same database as `feed`."""
    async with started(create_app(casework_settings)) as app:
        yield app


@pytest.fixture
async def client(casework_app: object) -> AsyncIterator[httpx.AsyncClient]:
    async with client_of(casework_app, "casework") as c:
        yield c
