"""Request limits: a body over the limit is 413, writes past a caller's bucket are 429 with Retry-After."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from attendance_common.auth import DEVELOPMENT_JWT_SECRET, CurrentPrincipal, mint_token
from attendance_common.errors import TooManyRequests, install_error_handlers
from attendance_common.limits import WriteRateLimiter, install_limits
from attendance_common.settings import ServiceSettings


def test_a_bucket_allows_its_burst_then_says_when_to_retry():
    limiter = WriteRateLimiter(per_second=0.5, burst=2)
    limiter.check("mis-1", now=100.0)
    limiter.check("mis-1", now=100.0)

    with pytest.raises(TooManyRequests) as refused:
        limiter.check("mis-1", now=100.0)

    assert refused.value.headers["Retry-After"] == "2"
    limiter.check("mis-2", now=100.0)  # another caller has its own bucket
    limiter.check("mis-1", now=102.0)  # refilled


def test_a_rate_of_zero_turns_the_limiter_off():
    limiter = WriteRateLimiter(per_second=0, burst=0)
    for _ in range(10):
        limiter.check("anyone", now=1.0)


def test_forgetting_callers_keeps_only_those_still_refilling():
    limiter = WriteRateLimiter(per_second=1, burst=2, max_callers=2)
    limiter.check("a", now=0.0)
    limiter.check("b", now=5.0)
    limiter.check("c", now=5.5)  # "a" refilled long ago: forgotten to make room

    assert set(limiter.buckets) == {"b", "c"}


def build_app(**settings: Any) -> FastAPI:
    app = FastAPI()
    app.state.settings = ServiceSettings(**settings)
    install_error_handlers(app)
    install_limits(app, app.state.settings)

    @app.post("/echo")
    async def echo(body: dict[str, Any], principal: CurrentPrincipal) -> dict[str, int]:
        return {"keys": len(body)}

    @app.get("/read")
    async def read(principal: CurrentPrincipal) -> dict[str, bool]:
        return {"ok": True}

    return app


def bearer(sub: str = "mis-1") -> dict[str, str]:
    token = mint_token(secret=DEVELOPMENT_JWT_SECRET, sub=sub, role="admin")
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = build_app(max_request_bytes=1000, write_rate_per_second=0.001, write_burst=3)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        yield c


async def test_a_body_over_the_limit_by_content_length_is_a_413_problem(client):
    answer = await client.post("/echo", json={"x": "a" * 2000}, headers=bearer())

    assert answer.status_code == 413
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "request_too_large"


async def test_a_streamed_body_over_the_limit_is_a_413_problem(client):
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"x": "'
        for _ in range(20):
            yield b"a" * 100
        yield b'"}'

    headers = {**bearer(), "content-type": "application/json"}
    answer = await client.post("/echo", content=chunks(), headers=headers)

    assert answer.status_code == 413
    assert answer.json()["code"] == "request_too_large"


async def test_a_body_within_the_limit_is_served(client):
    assert (await client.post("/echo", json={"x": "a" * 500}, headers=bearer())).status_code == 200


async def test_writes_past_the_burst_are_429_with_retry_after_and_reads_are_not_limited(client):
    for _ in range(3):
        assert (await client.post("/echo", json={}, headers=bearer())).status_code == 200

    refused = await client.post("/echo", json={}, headers=bearer())

    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.json()["code"] == "rate_limited"
    assert (await client.post("/echo", json={}, headers=bearer("mis-2"))).status_code == 200
    assert (await client.get("/read", headers=bearer())).status_code == 200


@pytest.mark.parametrize("query", ["?x=%00", "?x=a%00b"])
async def test_a_nul_character_in_the_query_is_a_400_problem(client, query):
    answer = await client.get(f"/read{query}", headers=bearer())

    assert answer.status_code == 400
    assert answer.json()["code"] == "nul_character"


async def test_a_nul_character_in_a_json_body_is_a_400_problem(client):
    answer = await client.post("/echo", content=b'{"name": "a\\u0000b"}', headers=bearer())

    assert answer.status_code == 400
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "nul_character"  # the same code as in the path or query
