"""Registers test fixtures: the app on a migrated database per backend, and a school to work in.

Tests share one database per backend and stay apart by using fresh URNs and UPNs (factories).
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from attendance_common.testing.databases import TestDatabases
from attendance_common.testing.plugin import TEST_KAFKA_SETTINGS
from registers.main import create_app
from registers.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))  # test helpers import by plain name, uniquely named

from registers_factories import auth, new_upn, new_urn, pupil_body, school_body


@pytest.fixture(scope="session")
def registers_settings(backend: str, test_databases: TestDatabases, kafka_bootstrap: str) -> Settings:
    return Settings(
        database_url=test_databases.create("registers", backend=backend),
        kafka_bootstrap_servers=kafka_bootstrap,
        **TEST_KAFKA_SETTINGS,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="session")
async def app(registers_settings: Settings) -> AsyncIterator[object]:
    application = create_app(registers_settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://registers") as c:
        yield c


@dataclass
class SchoolFixture:
    """A fresh school with one pupil on roll, and its MIS's headers."""

    urn: str
    upn: str
    mis: dict[str, str]
    la_code: str = "380"


@pytest.fixture
async def school(client: httpx.AsyncClient) -> SchoolFixture:
    urn, upn = new_urn(), new_upn()
    mis = auth("mis", schools=[urn], sub=f"mis-{urn}", name="Vendor MIS")
    # Registering a school is for admins; its MIS then writes its pupils and marks.
    assert (
        await client.put(f"/v1/schools/{urn}", json=school_body(), headers=auth("admin"))
    ).status_code == 201
    assert (
        await client.put(f"/v1/schools/{urn}/pupils/{upn}", json=pupil_body(), headers=mis)
    ).status_code == 201
    return SchoolFixture(urn=urn, upn=upn, mis=mis)
