"""Problem details rendering for typed errors, validation, routing and crashes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import httpx
import pytest
import structlog
from fastapi import FastAPI, Query
from pydantic import BaseModel, field_validator

from attendance_common.errors import (
    PROBLEM_MEDIA_TYPE,
    AppError,
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    TooManyRequests,
    Unauthorized,
    Unprocessable,
    install_error_handlers,
    problem_response,
)


class Mark(BaseModel):
    upn: str
    minutes_late: int | None = None

    @field_validator("upn")
    @classmethod
    def upn_is_13_chars(cls, value: str) -> str:
        if len(value) != 13:
            # A ValueError lands in the error's ctx, which is not JSON-serialisable.
            raise ValueError("a UPN has 13 characters")
        return value


def build_app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/pupils/{upn}")
    async def get_pupil(upn: str) -> dict[str, str]:
        raise NotFound("unknown_pupil", f"No pupil {upn} at school 100001", upn=upn)

    @app.get("/private")
    async def private() -> None:
        raise Unauthorized("missing_token", "Send a bearer token.")

    @app.get("/busy")
    async def busy() -> None:
        raise TooManyRequests("rate_limited", "Slow down.", retry_after=30)

    @app.post("/marks")
    async def post_marks(mark: Mark, limit: Annotated[int, Query(le=1000)] = 100) -> Mark:
        return mark

    @app.get("/crash")
    async def crash() -> None:
        raise RuntimeError("secret connection string postgres://user:pw@db")

    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    # raise_app_exceptions=False: Starlette re-raises after the 500 handler has answered.
    transport = httpx.ASGITransport(app=build_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def test_app_error_is_rendered_as_problem_details(client: httpx.AsyncClient) -> None:
    response = await client.get("/pupils/A123")

    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert response.json() == {
        "type": "/problems/unknown_pupil",
        "title": "Not Found",
        "status": 404,
        "detail": "No pupil A123 at school 100001",
        "instance": "/pupils/A123",
        "code": "unknown_pupil",
        "upn": "A123",
    }


async def test_unauthorized_sets_www_authenticate(client: httpx.AsyncClient) -> None:
    response = await client.get("/private")

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["code"] == "missing_token"


async def test_too_many_requests_sets_retry_after(client: httpx.AsyncClient) -> None:
    response = await client.get("/busy")

    assert response.status_code == 429
    assert response.headers["retry-after"] == "30"
    assert response.json()["code"] == "rate_limited"


async def test_validation_error_lists_json_safe_errors(client: httpx.AsyncClient) -> None:
    response = await client.post("/marks?limit=5000", json={"upn": "short", "minutes_late": "late"})

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["status"] == 422
    assert body["instance"] == "/marks"
    locs = [error["loc"] for error in body["errors"]]
    assert ["query", "limit"] in locs
    assert ["body", "upn"] in locs
    assert ["body", "minutes_late"] in locs
    for error in body["errors"]:
        assert set(error) == {"loc", "msg", "type"}
    upn_error = next(e for e in body["errors"] if e["loc"] == ["body", "upn"])
    assert "13 characters" in upn_error["msg"]


async def test_malformed_json_body_is_a_validation_problem(client: httpx.AsyncClient) -> None:
    response = await client.post("/marks", content=b"{not json", headers={"content-type": "application/json"})

    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


async def test_unknown_route_is_a_not_found_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/nowhere")

    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body = response.json()
    assert body["code"] == "not_found"
    assert body["instance"] == "/nowhere"


async def test_wrong_method_is_a_method_not_allowed_problem(client: httpx.AsyncClient) -> None:
    response = await client.delete("/marks")

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert "POST" in response.headers["allow"]


async def test_unhandled_exception_is_a_generic_500(client: httpx.AsyncClient) -> None:
    response = await client.get("/crash")

    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body = response.json()
    assert body["code"] == "internal_error"
    assert "postgres" not in response.text
    assert "Traceback" not in response.text
    assert "RuntimeError" not in response.text


async def test_unhandled_exception_is_logged_with_its_traceback(
    client: httpx.AsyncClient,
) -> None:
    with structlog.testing.capture_logs() as logs:
        await client.get("/crash")

    [entry] = [log for log in logs if log["event"] == "unhandled_exception"]
    assert entry["log_level"] == "error"
    assert entry["path"] == "/crash"
    assert isinstance(entry["exc_info"], RuntimeError)


@pytest.mark.parametrize(
    ("error_class", "status", "title"),
    [
        (BadRequest, 400, "Bad Request"),
        (Unauthorized, 401, "Unauthorized"),
        (Forbidden, 403, "Forbidden"),
        (NotFound, 404, "Not Found"),
        (Conflict, 409, "Conflict"),
        (PayloadTooLarge, 413, "Request Entity Too Large"),
        (Unprocessable, 422, "Unprocessable Entity"),
        (TooManyRequests, 429, "Too Many Requests"),
    ],
)
def test_each_error_has_its_default_status_and_title(
    error_class: type[AppError], status: int, title: str
) -> None:
    error = error_class("some_code", "Some detail.")

    assert (error.status, error.code, error.detail) == (status, "some_code", "Some detail.")
    # The phrase comes from http.HTTPStatus, whose wording varies by Python version.
    assert error.title.split()[0] == title.split()[0]


def test_app_error_keeps_extra_members() -> None:
    error = Conflict("penalty_notice_limit_reached", "Two notices already.", notices=2)

    assert error.extra == {"notices": 2}
    assert isinstance(error, Exception)


def test_problem_response_extras_do_not_override_standard_members() -> None:
    response = problem_response(409, "case_not_at_enforce", "Conflict", "Not yet.", type="x")

    assert response.media_type == PROBLEM_MEDIA_TYPE
    assert b'"type":"/problems/case_not_at_enforce"' in response.body
