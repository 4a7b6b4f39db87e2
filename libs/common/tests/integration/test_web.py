"""The app factory: probes, one transaction per request, problem details, on PostgreSQL and SQLite."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter
from spine_tables import Effect
from sqlalchemy import func, select

from attendance_common.auth import CurrentPrincipal, mint_token
from attendance_common.db import SessionDep
from attendance_common.errors import Conflict
from attendance_common.settings import ServiceSettings
from attendance_common.web import create_service_app

pytestmark = pytest.mark.integration


def effects_router() -> APIRouter:
    router = APIRouter()

    @router.post("/v1/effects/{urn}")
    async def add_effect(urn: str, session: SessionDep, principal: CurrentPrincipal, fail: bool = False):
        session.add(Effect(event_id="http", urn=urn, name=principal.sub))
        await session.flush()
        if fail:
            raise Conflict("refused_after_write", "the use case refused after writing")
        return {"urn": urn}

    @router.get("/v1/effects/{urn}")
    async def count_effects(urn: str, session: SessionDep, principal: CurrentPrincipal):
        count = await session.scalar(select(func.count()).select_from(Effect).where(Effect.urn == urn))
        return {"count": count}

    return router


@pytest.fixture(params=["postgresql", "sqlite"])
async def client(request, test_databases, kafka_bootstrap, data_dir) -> AsyncIterator[httpx.AsyncClient]:
    from spine_support import HERE

    if request.param == "postgresql" and test_databases.backend != "postgresql":
        pytest.skip("PostgreSQL is not reachable")
    url = test_databases.create("web", backend=request.param)
    settings = ServiceSettings(
        service="web",
        database_url=url,
        kafka_bootstrap_servers=kafka_bootstrap,
        data_dir=data_dir,
        log_json=False,
    )
    app = create_service_app(
        settings, title="web", routers=[effects_router()], migrations=HERE / "spine_migrations"
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            client.headers["Authorization"] = "Bearer " + mint_token(
                secret=settings.jwt_secret, sub="staff-1", role="admin"
            )
            yield client


async def test_healthz_and_readyz_answer_when_the_database_is_up(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok"}  # not the broker: tests/resilience


async def test_readyz_is_503_when_a_check_fails(client):
    app = client._transport.app
    app.state.readiness_checks["database"] = _refused
    ready = await client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json() == {
        "status": "not_ready",
        "checks": {"database": "unavailable: ConnectionRefusedError"},
    }


async def _refused() -> None:
    raise ConnectionRefusedError(111, "Connect call failed")


async def test_a_request_commits_its_transaction(client):
    assert (await client.post("/v1/effects/100001")).status_code == 200
    assert (await client.get("/v1/effects/100001")).json() == {"count": 1}


async def test_an_error_after_writing_rolls_the_whole_request_back(client):
    refused = await client.post("/v1/effects/100002", params={"fail": "true"})
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "refused_after_write"
    assert (await client.get("/v1/effects/100002")).json() == {"count": 0}


async def test_no_token_is_401_problem(client):
    answer = await client.get("/v1/effects/100001", headers={"Authorization": ""})
    assert answer.status_code == 401
    assert answer.json()["code"] == "missing_token"
