"""Bearer tokens: verification, role claims, scopes, dependencies and the CLI."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from fastapi import Depends, FastAPI

from attendance_common.auth import (
    CurrentPrincipal,
    Principal,
    Role,
    decode_token,
    mint_token,
    require_roles,
)
from attendance_common.errors import Unauthorized, install_error_handlers

SECRET = "test-secret-that-is-long-enough-for-hs256-0123"

VALID_CLAIMS: dict[Role, dict[str, Any]] = {
    Role.ADMIN: {},
    Role.MIS: {"schools": ["100001", "100002"]},
    Role.SCHOOL_STAFF: {"schools": ["100001"]},
    Role.LA_OFFICER: {"la": "380"},
    Role.SOCIAL_WORKER: {"email": "sw@example.gov.uk"},
    Role.PARENT: {"email": "parent@example.com"},
}


def encode(claims: dict[str, Any], secret: str = SECRET) -> str:
    base = {"sub": "someone", "iat": int(time.time()), "exp": int(time.time()) + 600}
    return jwt.encode({**base, **claims}, secret, algorithm="HS256")


def b64url(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def rejection(token: str) -> Unauthorized:
    with pytest.raises(Unauthorized) as caught:
        decode_token(token, secret=SECRET)
    return caught.value


@pytest.mark.parametrize("role", list(Role))
def test_each_role_with_its_claims_is_accepted(role: Role) -> None:
    principal = decode_token(encode({"role": role.value, **VALID_CLAIMS[role]}), secret=SECRET)

    assert principal.role is role
    assert principal.sub == "someone"


@pytest.mark.parametrize(
    ("role", "claims"),
    [
        (Role.MIS, {}),
        (Role.MIS, {"schools": []}),
        (Role.MIS, {"schools": "100001"}),
        (Role.SCHOOL_STAFF, {"schools": [100001]}),
        (Role.SCHOOL_STAFF, {"schools": [""]}),
        (Role.LA_OFFICER, {}),
        (Role.LA_OFFICER, {"la": 380}),
        (Role.SOCIAL_WORKER, {}),
        (Role.PARENT, {}),
        (Role.PARENT, {"email": "not-an-email"}),
    ],
)
def test_missing_or_malformed_role_claims_are_rejected(role: Role, claims: dict[str, Any]) -> None:
    error = rejection(encode({"role": role.value, **claims}))

    assert error.status == 401
    assert error.code == "invalid_token"


@pytest.mark.parametrize("missing", ["sub", "role", "exp", "iat"])
def test_missing_registered_claims_are_rejected(missing: str) -> None:
    claims = {"sub": "someone", "role": "admin", "iat": int(time.time()), "exp": int(time.time()) + 600}
    del claims[missing]

    error = rejection(jwt.encode(claims, SECRET, algorithm="HS256"))

    assert error.code == "invalid_token"
    assert missing in error.detail


def test_unknown_role_is_rejected() -> None:
    error = rejection(encode({"role": "headteacher"}))

    assert error.code == "invalid_token"
    assert "headteacher" in error.detail


def test_expired_token_is_token_expired() -> None:
    past = datetime.now(UTC) - timedelta(hours=2)
    token = mint_token(secret=SECRET, sub="a", role=Role.ADMIN, ttl_seconds=60, now=past)

    assert rejection(token).code == "token_expired"


def test_expiry_within_leeway_is_accepted() -> None:
    token = encode({"role": "admin", "exp": int(time.time()) - 5})

    assert decode_token(token, secret=SECRET).is_admin


def test_token_signed_with_another_secret_is_rejected() -> None:
    token = encode({"role": "admin"}, secret="another-secret-also-long-enough-0123456789")

    error = rejection(token)

    assert error.code == "invalid_token"
    assert "signature" in error.detail


def test_unsigned_alg_none_token_is_rejected() -> None:
    header = b64url({"alg": "none", "typ": "JWT"})
    payload = b64url({"sub": "intruder", "role": "admin", "exp": int(time.time()) + 600})

    error = rejection(f"{header}.{payload}.")

    assert error.code == "invalid_token"


def test_alg_none_cannot_be_allowed_by_the_caller() -> None:
    with pytest.raises(ValueError, match="none"):
        decode_token("x.y.", secret=SECRET, algorithms=("HS256", "none"))


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "", "...", "é.é.é"])
def test_garbage_tokens_are_rejected(token: str) -> None:
    assert rejection(token).code == "invalid_token"


def test_email_is_lower_cased() -> None:
    token = encode({"role": "parent", "email": "Ada.Lovelace@Example.COM"})

    assert decode_token(token, secret=SECRET).email == "ada.lovelace@example.com"


def test_name_and_audience_are_carried() -> None:
    token = encode({"role": "admin", "name": "Ada", "aud": "attendance"})

    principal = decode_token(token, secret=SECRET, audience="attendance")

    assert principal.name == "Ada"


def test_schools_claim_grants_nothing_to_other_roles() -> None:
    token = encode({"role": "parent", "email": "p@example.com", "schools": ["100001"]})

    principal = decode_token(token, secret=SECRET)

    assert principal.schools == frozenset()
    assert not principal.can_read_school("100001", None)


def test_mint_token_round_trips() -> None:
    token = mint_token(secret=SECRET, sub="mis-vendor", role=Role.MIS, schools=["100001"], name="Vendor")

    assert decode_token(token, secret=SECRET) == Principal(
        sub="mis-vendor", role=Role.MIS, schools=frozenset({"100001"}), name="Vendor"
    )


# Scope helpers, one role at a time.


def test_admin_reads_and_writes_every_school() -> None:
    admin = Principal(sub="a", role=Role.ADMIN)

    assert admin.is_admin
    assert admin.can_read_school("999999", None)
    assert admin.can_write_school("999999")


def test_mis_reads_and_writes_only_its_schools() -> None:
    mis = Principal(sub="m", role=Role.MIS, schools=frozenset({"100001"}))

    assert mis.can_read_school("100001", "380")
    assert mis.can_write_school("100001")
    assert not mis.can_read_school("100002", "380")
    assert not mis.can_write_school("100002")
    assert not mis.is_admin


def test_school_staff_reads_but_does_not_write_registers() -> None:
    staff = Principal(sub="s", role=Role.SCHOOL_STAFF, schools=frozenset({"100001"}))

    assert staff.can_read_school("100001", None)
    assert not staff.can_read_school("100002", None)
    assert not staff.can_write_school("100001")


def test_la_officer_reads_schools_of_its_la() -> None:
    officer = Principal(sub="l", role=Role.LA_OFFICER, la="380")

    assert officer.can_read_school("100001", "380")
    assert not officer.can_read_school("100001", "381")
    assert not officer.can_read_school("100001", None)
    assert not officer.can_write_school("100001")


@pytest.mark.parametrize("role", [Role.SOCIAL_WORKER, Role.PARENT])
def test_social_workers_and_parents_have_no_school_wide_access(role: Role) -> None:
    person = Principal(sub="p", role=role, email="x@example.com", schools=frozenset({"100001"}))

    assert not person.can_read_school("100001", "380")
    assert not person.can_write_school("100001")


def test_hand_built_principal_is_normalised() -> None:
    principal = Principal(sub="p", role="parent", email=" P@Example.com ")  # type: ignore[arg-type]

    assert principal.role is Role.PARENT
    assert principal.email == "p@example.com"


# The FastAPI dependencies.


def build_app() -> FastAPI:
    app = FastAPI()
    app.state.jwt_secret = SECRET
    install_error_handlers(app)

    @app.get("/me")
    async def me(principal: CurrentPrincipal) -> dict[str, Any]:
        return {"sub": principal.sub, "role": principal.role, "email": principal.email}

    @app.get("/registers", dependencies=[Depends(require_roles(Role.MIS, Role.SCHOOL_STAFF))])
    async def registers() -> dict[str, bool]:
        return {"ok": True}

    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


def bearer(role: Role, **claims: Any) -> dict[str, str]:
    token = mint_token(secret=SECRET, sub=f"test-{role}", role=role, **VALID_CLAIMS[role], **claims)
    return {"Authorization": f"Bearer {token}"}


async def test_valid_bearer_token_yields_the_principal(client: httpx.AsyncClient) -> None:
    response = await client.get("/me", headers=bearer(Role.PARENT))

    assert response.status_code == 200
    assert response.json() == {
        "sub": "test-parent",
        "role": "parent",
        "email": "parent@example.com",
    }


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Basic dXNlcjpwdw=="}])
async def test_no_bearer_token_is_a_401_problem(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    response = await client.get("/me", headers=headers)

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["code"] == "missing_token"


async def test_invalid_bearer_token_is_a_401_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/me", headers={"Authorization": "Bearer garbage"})

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


async def test_role_outside_the_allowed_ones_is_403(client: httpx.AsyncClient) -> None:
    response = await client.get("/registers", headers=bearer(Role.LA_OFFICER))

    assert response.status_code == 403
    assert response.json()["code"] == "forbidden_role"


@pytest.mark.parametrize("role", [Role.MIS, Role.SCHOOL_STAFF, Role.ADMIN])
async def test_allowed_roles_and_admin_pass_require_roles(client: httpx.AsyncClient, role: Role) -> None:
    response = await client.get("/registers", headers=bearer(role))

    assert response.status_code == 200


def test_require_roles_rejects_unknown_role_names() -> None:
    with pytest.raises(ValueError):
        require_roles("headteacher")


def test_openapi_declares_the_bearer_scheme() -> None:
    document = build_app().openapi()

    schemes = document["components"]["securitySchemes"]
    assert any({"type": "http", "scheme": "bearer"}.items() <= s.items() for s in schemes.values())
    assert document["paths"]["/me"]["get"]["security"]
    assert document["paths"]["/registers"]["get"]["security"]
