"""Registers, alerts and notifications together over the session's broker, each with a fresh
database, for the tests that follow a mark from the MIS to the parent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from alerts.settings import Settings as AlertsSettings
from alerts.worker import make_worker as make_alerts_worker
from attendance_common.migrations import upgrade_database
from attendance_common.testing.databases import TestDatabases
from attendance_common.testing.plugin import TEST_KAFKA_SETTINGS
from attendance_common.testing.workers import running
from notifications.main import MIGRATIONS, create_app
from notifications.settings import Settings
from notifications.worker import make_worker as make_notifications_worker
from registers.main import create_app as create_registers_app
from registers.settings import Settings as RegistersSettings
from registers.worker import make_worker as make_registers_worker

ALERTS_MIGRATIONS = MIGRATIONS.parents[1] / "alerts" / "migrations"


@asynccontextmanager
async def registers_to_parents(
    backend: str, test_databases: TestDatabases, kafka_bootstrap: str, notifications_settings: Settings
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient, tuple[asyncio.Task[None], ...]]]:
    """Registers' and notifications' APIs as clients, and the three workers' tasks, for the block;
    the workers start past other tests' events on the broker."""

    def fresh(label: str, migrations=None) -> str:
        url = test_databases.create(label, backend=backend)
        if migrations:
            upgrade_database(migrations, url)
        return url

    common = {"kafka_bootstrap_servers": kafka_bootstrap, **TEST_KAFKA_SETTINGS}
    registers_settings = RegistersSettings(database_url=fresh("registers"), **common)
    alerts_settings = AlertsSettings(database_url=fresh("alerts", ALERTS_MIGRATIONS), **common)
    settings = notifications_settings.model_copy(
        update={"database_url": fresh("notifications", MIGRATIONS), "delivery_poll_seconds": 0.05}
    )
    registers_app, notifications_app = create_registers_app(registers_settings), create_app(settings)
    async with (
        registers_app.router.lifespan_context(registers_app),
        notifications_app.router.lifespan_context(notifications_app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=registers_app), base_url="http://r") as registers,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=notifications_app), base_url="http://n") as app,
        running(make_registers_worker(registers_settings), from_now=True) as relay,
        running(make_alerts_worker(alerts_settings), from_now=True) as alerts,
        running(make_notifications_worker(settings), from_now=True) as notifications,
    ):
        yield registers, app, (relay, alerts, notifications)
