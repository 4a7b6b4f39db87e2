"""Token lifetime and origin: `iat` required, `exp - iat` capped (an hour in production unless
configured), and `iss` and `aud` checked for HS256 tokens too whenever an issuer and an audience are
configured.

Every refusal is a 401 problem with code `invalid_token` whose detail says what was wrong.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jwt
import pytest
from fastapi import FastAPI

from attendance_common.auth import CurrentPrincipal, decode_token, mint_token
from attendance_common.devtoken import main
from attendance_common.errors import Unauthorized, install_error_handlers
from attendance_common.settings import ServiceSettings

SECRET = "a-test-secret-of-at-least-thirty-two-bytes-0123"
ISSUER = "https://tokens.attendance.example/"
AUDIENCE = "attendance-api"
ADMIN = {"sub": "admin-1", "role": "admin"}


def signed(lifetime: int = 600, *, issued_ago: int = 0, **claims: Any) -> str:
    issued = int(time.time()) - issued_ago
    body: dict[str, Any] = {**ADMIN, "iat": issued, "exp": issued + lifetime, **claims}
    return jwt.encode({k: v for k, v in body.items() if v is not None}, SECRET, algorithm="HS256")


def refusal(token: str, **options: Any) -> Unauthorized:
    with pytest.raises(Unauthorized) as caught:
        decode_token(token, secret=SECRET, **options)
    assert caught.value.status == 401
    assert caught.value.code == "invalid_token"
    return caught.value


def test_a_token_without_iat_is_refused():
    assert "'iat' claim is missing" in refusal(signed(iat=None)).detail


def test_a_token_whose_iat_is_not_a_number_is_refused():
    assert "'iat' claim must be a number" in refusal(signed(iat="yesterday")).detail


def test_a_token_issued_in_the_future_is_refused():
    assert "issued in the future" in refusal(signed(issued_ago=-600)).detail


def test_a_token_living_longer_than_an_hour_is_refused():
    error = refusal(signed(lifetime=3601))
    assert "3601 s" in error.detail and "3600 s allowed" in error.detail


def test_a_token_living_exactly_an_hour_is_accepted():
    assert decode_token(signed(lifetime=3600), secret=SECRET).is_admin


def test_the_cap_is_what_the_caller_configures():
    assert "600 s allowed" in refusal(signed(lifetime=601), max_lifetime=600).detail
    assert decode_token(signed(lifetime=7200), secret=SECRET, max_lifetime=7200).is_admin


def test_mint_token_defaults_to_a_token_the_cap_accepts():
    assert decode_token(mint_token(secret=SECRET, sub="a", role="admin"), secret=SECRET).is_admin


# Through a service's dependency: the settings decide issuer, audience and cap for HS256 tokens.


def app_for(**settings: Any) -> FastAPI:
    app = FastAPI()
    app.state.settings = ServiceSettings(jwt_secret=SECRET, **settings)
    install_error_handlers(app)

    @app.get("/me")
    async def me(principal: CurrentPrincipal) -> dict[str, str]:
        return {"sub": principal.sub}

    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = app_for(jwt_issuer=ISSUER, jwt_audience=AUDIENCE, jwt_max_lifetime_seconds=900)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        yield c


async def refused_over_http(client: httpx.AsyncClient, token: str) -> str:
    answer = await client.get("/me", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "invalid_token"
    return str(answer.json()["detail"])


async def test_hs256_with_the_configured_issuer_and_audience_is_accepted(client):
    answer = await client.get("/me", headers={"Authorization": f"Bearer {signed(iss=ISSUER, aud=AUDIENCE)}"})
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(
    ("claims", "named"),
    [
        ({"iss": "https://elsewhere.example/", "aud": AUDIENCE}, "issuer"),
        ({"aud": AUDIENCE}, "'iss'"),
        ({"iss": ISSUER, "aud": "another-api"}, "audience"),
        ({"iss": ISSUER}, "'aud'"),
    ],
)
async def test_hs256_with_a_wrong_or_missing_issuer_or_audience_is_401(client, claims, named):
    assert named in await refused_over_http(client, signed(**claims))


async def test_the_configured_lifetime_cap_applies_over_http(client):
    detail = await refused_over_http(client, signed(lifetime=901, iss=ISSUER, aud=AUDIENCE))
    assert "900 s allowed" in detail


async def test_the_cap_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("ATTENDANCE_JWT_MAX_LIFETIME_SECONDS", "300")
    app = app_for()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        assert "300 s allowed" in await refused_over_http(c, signed(lifetime=301))
        assert (await c.get("/me", headers={"Authorization": f"Bearer {signed(300)}"})).status_code == 200


# `make token` (attendance-token) mints what the services accept, and refuses what they would not.


def test_the_cli_mints_with_the_configured_issuer_audience_and_cap(capsys, monkeypatch):
    monkeypatch.setenv("ATTENDANCE_JWT_SECRET", SECRET)
    monkeypatch.setenv("ATTENDANCE_JWT_ISSUER", ISSUER)
    monkeypatch.setenv("ATTENDANCE_JWT_AUDIENCE", AUDIENCE)
    monkeypatch.setenv("ATTENDANCE_JWT_MAX_LIFETIME_SECONDS", "900")

    assert main(["--role", "admin"]) == 0

    claims = jwt.decode(
        capsys.readouterr().out.strip(), SECRET, algorithms=["HS256"], audience=AUDIENCE, issuer=ISSUER
    )
    assert claims["exp"] - claims["iat"] == 900


def test_the_cli_refuses_a_ttl_over_the_cap(capsys, monkeypatch):
    monkeypatch.delenv("ATTENDANCE_JWT_MAX_LIFETIME_SECONDS", raising=False)
    with pytest.raises(SystemExit) as exited:
        main(["--role", "admin", "--ttl", "86400"])

    assert exited.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "3600 s allowed" in captured.err


# Which settings cap: production always (an hour unless set); development only when set, so a local
# stack accepts a token of api.md's claims alone (`sub`, `role`, `exp`), however a client mints it.

PRODUCTION = {
    "environment": "production",
    "jwt_allow_hs256": True,
    "database_url": "postgresql://attendance@db/registers",
}


def settings_of(monkeypatch: pytest.MonkeyPatch, **values: Any) -> ServiceSettings:
    monkeypatch.delenv("ATTENDANCE_JWT_MAX_LIFETIME_SECONDS", raising=False)
    return ServiceSettings(jwt_secret=SECRET, **values)


def test_production_caps_at_an_hour_and_development_does_not_unless_set(monkeypatch):
    assert settings_of(monkeypatch, **PRODUCTION).token_max_lifetime == 3600
    assert settings_of(monkeypatch, **PRODUCTION, jwt_max_lifetime_seconds=600).token_max_lifetime == 600
    assert settings_of(monkeypatch).token_max_lifetime is None
    assert settings_of(monkeypatch, jwt_max_lifetime_seconds=600).token_max_lifetime == 600


async def test_development_accepts_a_token_of_the_contracts_claims_alone(monkeypatch):
    monkeypatch.delenv("ATTENDANCE_JWT_MAX_LIFETIME_SECONDS", raising=False)
    app = app_for()
    day = signed(lifetime=86400)
    bare = jwt.encode({**ADMIN, "exp": int(time.time()) + 86400}, SECRET, algorithm="HS256")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        for token in (day, bare):
            assert (await c.get("/me", headers={"Authorization": f"Bearer {token}"})).status_code == 200


async def test_production_refuses_a_token_without_iat_or_living_over_an_hour(monkeypatch):
    monkeypatch.delenv("ATTENDANCE_JWT_MAX_LIFETIME_SECONDS", raising=False)
    app = app_for(**PRODUCTION)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        assert "'iat' claim is missing" in await refused_over_http(c, signed(iat=None))
        assert "3600 s allowed" in await refused_over_http(c, signed(lifetime=3601))
        assert (await c.get("/me", headers={"Authorization": f"Bearer {signed(3600)}"})).status_code == 200
