"""The four services' apps on fresh migrated databases, each seeded with the world of security_world."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from attendance_common.messaging import EventConsumer
from attendance_common.settings import ServiceSettings
from attendance_common.testing.databases import TestDatabases
from attendance_common.testing.plugin import TEST_KAFKA_SETTINGS

sys.path.insert(0, str(Path(__file__).parent))  # helpers import by plain, unique names

from security_routes import seed_registers
from security_world import ADMIN, LA, MARKED_ON, UPN, URN, EventFeed, pupil_upserted, school_upserted

SERVICES = ("registers", "alerts", "casework", "notifications")


def _factory(service: str) -> tuple[Callable[[Any], FastAPI], type[ServiceSettings]]:
    main = __import__(f"{service}.main", fromlist=["create_app"])
    settings = __import__(f"{service}.settings", fromlist=["Settings"])
    return main.create_app, settings.Settings


def _handlers(service: str, settings: Any) -> dict[str, Any]:
    if service == "alerts":
        from alerts.handlers import HANDLERS

        return HANDLERS
    if service == "casework":
        from casework.handlers import make_handlers

        return make_handlers(settings)
    from notifications.handlers import HANDLERS as MAIN
    from notifications.handlers import MARK_HANDLERS

    return {**MAIN, **MARK_HANDLERS}


def _readers(service: str) -> dict[str, Any]:
    if service == "alerts":
        from alerts.handlers import READERS

        return READERS
    if service == "notifications":
        from notifications.handlers import MARK_READERS

        return MARK_READERS
    return {}


async def _seed_by_events(service: str, feed: EventFeed, client: httpx.AsyncClient) -> None:
    from attendance_common.events.registers import MarksRecorded, RecordedMark

    await feed.send(school_upserted())
    await feed.send(pupil_upserted())
    recorded = dt.datetime.combine(MARKED_ON, dt.time(9), tzinfo=dt.UTC)
    marks = [
        RecordedMark(upn=UPN, date=MARKED_ON, session=s, code="N", recorded_at=recorded) for s in ("AM", "PM")
    ]
    await feed.send(MarksRecorded(school_urn=URN, la_code=LA, marks=marks))
    if service == "casework":
        body = {"pupils": [{"school_urn": URN, "upn": UPN}], "stage": "formalise_support", "reason": "x"}
        assert (await client.post("/v1/cases", json=body, headers=ADMIN)).status_code in (200, 201)


@dataclass
class Stack:
    """A client of each service's app and, for the event-fed ones, a feed into its database."""

    apps: dict[str, FastAPI] = field(default_factory=dict)
    clients: dict[str, httpx.AsyncClient] = field(default_factory=dict)
    feeds: dict[str, EventFeed] = field(default_factory=dict)


@pytest.fixture(scope="session")
async def stack(test_databases: TestDatabases, kafka_bootstrap: str) -> AsyncIterator[Stack]:
    """The four apps (lifespans running) with the world seeded."""
    world = Stack()
    clients = world.clients
    async with AsyncExitStack() as exits:
        for service in SERVICES:
            create_app, settings_class = _factory(service)
            settings = settings_class(
                database_url=test_databases.create(f"security_{service}"),
                kafka_bootstrap_servers=kafka_bootstrap,
                **TEST_KAFKA_SETTINGS,
            )
            app = world.apps[service] = create_app(settings)
            await exits.enter_async_context(app.router.lifespan_context(app))
            transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
            client = await exits.enter_async_context(
                httpx.AsyncClient(transport=transport, base_url=f"http://{service}")
            )
            clients[service] = client
            if service == "registers":
                await seed_registers(client)
                continue
            consumer = EventConsumer(
                name=service,
                topics=[],
                handlers=_handlers(service, settings),
                readers=_readers(service),
                database=app.state.database,
                settings=settings,
                producer=None,  # type: ignore[arg-type]  # apply() never dead-letters
            )
            world.feeds[service] = EventFeed(consumer)
            await _seed_by_events(service, world.feeds[service], client)
        yield world
