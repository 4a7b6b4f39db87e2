"""Tokens from an identity provider: RS256/ES256 keys from a real JWKS server, `iss` and `aud` checked.

Every refusal is a 401 problem; HS256 is accepted only where the settings allow it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import jwt
import pytest
from fastapi import FastAPI

from attendance_common.auth import CurrentPrincipal, mint_token
from attendance_common.errors import install_error_handlers
from attendance_common.settings import ServiceSettings
from attendance_common.testing.identity import IdentityProvider, ec_key, rsa_key, serve_identity_provider

STAFF = {"sub": "staff-1", "role": "school_staff", "schools": ["100001"]}
SECRET = "a-test-secret-of-at-least-thirty-two-bytes-0123"


@pytest.fixture(scope="module")
def provider() -> Iterator[IdentityProvider]:
    with serve_identity_provider() as served:
        yield served


def app_for(settings: ServiceSettings) -> FastAPI:
    app = FastAPI()
    app.state.settings = settings
    install_error_handlers(app)

    @app.get("/me")
    async def me(principal: CurrentPrincipal) -> dict[str, Any]:
        return {"sub": principal.sub, "role": principal.role, "schools": sorted(principal.schools)}

    return app


def settings_for(provider: IdentityProvider, **overrides: Any) -> ServiceSettings:
    values: dict[str, Any] = {
        "jwt_jwks_url": provider.jwks_url,
        "jwt_issuer": provider.issuer,
        "jwt_audience": provider.audience,
        "jwt_secret": SECRET,
        "jwt_allow_hs256": False,
        **overrides,
    }
    return ServiceSettings(**values)


@pytest.fixture
async def client(provider: IdentityProvider) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app_for(settings_for(provider)))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


async def me(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.get("/me", headers={"Authorization": f"Bearer {token}"})


def assert_401_problem(answer: httpx.Response, code: str = "invalid_token") -> None:
    assert answer.status_code == 401, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == code


@pytest.mark.parametrize("kid", ["rsa-1", "ec-1"])
async def test_a_provider_token_signed_rs256_or_es256_is_accepted(client, provider, kid):
    answer = await me(client, provider.token(STAFF, kid=kid))

    assert answer.status_code == 200, answer.text
    assert answer.json() == {"sub": "staff-1", "role": "school_staff", "schools": ["100001"]}


async def test_an_expired_provider_token_is_401_token_expired(client, provider):
    assert_401_problem(await me(client, provider.token(STAFF, ttl_seconds=-3600)), "token_expired")


@pytest.mark.parametrize("make_key", [rsa_key, ec_key])
async def test_a_token_signed_with_another_key_under_a_known_kid_is_401(client, provider, make_key):
    kid = "rsa-1" if make_key is rsa_key else "ec-1"
    assert_401_problem(await me(client, provider.token(STAFF, kid=kid, key=make_key())))


async def test_a_token_naming_an_unknown_kid_is_401(client, provider):
    assert_401_problem(await me(client, provider.token(STAFF, kid="rotated-away", key=rsa_key())))


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def unsigned(claims: dict[str, Any]) -> str:
    return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."


async def test_an_unsigned_alg_none_token_is_401(client, provider):
    claims = jwt.decode(provider.token(STAFF), options={"verify_signature": False})
    assert_401_problem(await me(client, unsigned(claims)))


@pytest.mark.parametrize(
    "override", [{"iss": "https://evil.example/"}, {"aud": "another-api"}, {"aud": None}, {"iss": None}]
)
async def test_a_wrong_or_missing_issuer_or_audience_is_401(client, provider, override):
    claims = {**STAFF, **override}
    token = provider.token({k: v for k, v in claims.items() if v is not None})
    if None in override.values():
        body = jwt.decode(token, options={"verify_signature": False})
        body.pop(next(iter(override)))
        token = jwt.encode(body, provider.keys["rsa-1"], algorithm="RS256", headers={"kid": "rsa-1"})
    assert_401_problem(await me(client, token))


async def test_hs256_is_refused_when_not_allowed(client):
    assert_401_problem(await me(client, mint_token(secret=SECRET, **STAFF)))


async def test_an_hs256_token_with_the_public_key_as_secret_is_401(client, provider):
    """The algorithm-confusion attack: HS256 keyed with the provider's public key must not verify."""
    public = json.dumps(provider.jwks()["keys"][0]).encode()
    header_and_claims = f"{b64({'alg': 'HS256', 'kid': 'rsa-1'})}.{b64({**STAFF, 'exp': 2_000_000_000})}"
    signature = hmac.new(public, header_and_claims.encode(), hashlib.sha256).digest()
    token = f"{header_and_claims}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"
    assert_401_problem(await me(client, token))


async def test_hs256_and_provider_tokens_are_both_accepted_when_hs256_is_allowed(provider):
    app = app_for(settings_for(provider, jwt_allow_hs256=True))
    origin = {"issuer": provider.issuer, "audience": provider.audience}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        assert (await me(c, mint_token(secret=SECRET, **origin, **STAFF))).status_code == 200
        assert (await me(c, provider.token(STAFF))).status_code == 200
        # The issuer and audience are checked on HS256 tokens too.
        assert_401_problem(await me(c, mint_token(secret=SECRET, **STAFF)))


async def test_a_provider_token_living_longer_than_the_cap_is_401(client, provider):
    assert_401_problem(await me(client, provider.token(STAFF, ttl_seconds=3601)))
    assert (await me(client, provider.token(STAFF, ttl_seconds=3600))).status_code == 200


async def test_a_provider_token_without_iat_is_401(client, provider):
    assert_401_problem(await me(client, provider.token(STAFF, iat=None)))


async def test_an_unreachable_provider_is_a_503_problem_not_a_401(provider):
    app = app_for(settings_for(provider, jwt_jwks_url="http://127.0.0.1:9/jwks.json"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        answer = await me(c, provider.token(STAFF))
    assert answer.status_code == 503
    assert answer.json()["code"] == "identity_provider_unavailable"


async def test_the_key_set_is_fetched_once_not_per_request(provider):
    app = app_for(settings_for(provider))
    before = provider.requests
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        for _ in range(5):
            assert (await me(c, provider.token(STAFF))).status_code == 200
    assert provider.requests - before == 1
