"""Outages as an API's callers see them, with real parts: each service's app on a PostgreSQL server of
its own (stopped and started again here) and a broker address where nothing listens.

A broker outage leaves the APIs in service (`/readyz` 200: events wait in the outbox); a database
outage takes the pod out of rotation (`/readyz` 503) and answers requests 503 `database_unavailable`
with `Retry-After`, never a 500; when the database is back, so are the answers.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from attendance_common.auth import DEVELOPMENT_JWT_SECRET, mint_token
from attendance_common.broker import free_port
from attendance_common.testing.apps import client_of, started
from attendance_common.testing.databases import TestDatabases
from attendance_common.testing.postgres import PrivatePostgres, private_postgres

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not PrivatePostgres.available(), reason="PostgreSQL's server tools (initdb, pg_ctl) not found"
    ),
]

SERVICES = ("registers", "alerts", "casework", "notifications")
ADMIN = {"Authorization": "Bearer " + mint_token(secret=DEVELOPMENT_JWT_SECRET, sub="ops", role="admin")}


@pytest.fixture(scope="module")
def server() -> Iterator[PrivatePostgres]:
    with private_postgres() as running:
        yield running


@pytest.fixture(scope="module")
def databases(server, tmp_path_factory) -> Iterator[TestDatabases]:
    created = TestDatabases(server.url, tmp_path_factory.mktemp("unused-sqlite"))
    yield created
    created.drop_all()


def service_app(service: str, database_url: str, **settings: Any) -> FastAPI:
    configured = importlib.import_module(f"{service}.settings").Settings(
        database_url=database_url,
        kafka_bootstrap_servers=f"127.0.0.1:{free_port()}",  # no broker there: it is down
        environment="test",
        log_json=False,
        **settings,
    )
    app: FastAPI = importlib.import_module(f"{service}.main").create_app(configured)
    return app


def assert_database_unavailable(answer: httpx.Response) -> None:
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "database_unavailable"
    assert int(answer.headers["Retry-After"]) > 0


@pytest.mark.parametrize("service", SERVICES)
async def test_broker_down_api_ready_database_down_503_with_retry_after(server, databases, service):
    app = service_app(service, databases.create(service))
    async with started(app), client_of(app, service) as client:
        ready = await client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"] == {"database": "ok"}
        assert (await client.get("/v1/audit", headers=ADMIN)).status_code == 200

        await asyncio.to_thread(server.stop, "immediate")
        try:
            assert (await client.get("/readyz")).status_code == 503
            assert_database_unavailable(await client.get("/v1/audit", headers=ADMIN))
            if service == "registers":  # a write, too
                school = {"name": "Hill Primary", "la_code": "380", "phase": "primary"}
                assert_database_unavailable(
                    await client.put("/v1/schools/100001", json=school, headers=ADMIN)
                )
        finally:
            await asyncio.to_thread(server.start)

        assert (await client.get("/readyz")).status_code == 200
        assert (await client.get("/v1/audit", headers=ADMIN)).status_code == 200


async def test_a_database_at_a_closed_port_is_503_not_500():
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/casework"
    app = service_app("casework", url, migrate_on_start=False)
    async with started(app), client_of(app, "casework") as client:
        assert (await client.get("/readyz")).status_code == 503
        assert_database_unavailable(await client.get("/v1/cases", headers=ADMIN))
