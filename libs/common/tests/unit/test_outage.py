"""Which errors mean "the database cannot be reached" (503, retry) and which stay 500s (a bug)."""

from __future__ import annotations

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import exc as sa

from attendance_common.errors import install_error_handlers
from attendance_common.outage import database_unreachable, install_outage_handlers


def wrapped(driver_error: Exception, *, invalidated: bool = False) -> sa.DBAPIError:
    return sa.DBAPIError("SELECT 1", None, driver_error, connection_invalidated=invalidated)


def chained(error: Exception, cause: Exception) -> Exception:
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(111, "Connect call failed"),
        TimeoutError(),
        wrapped(Exception("closed"), invalidated=True),
        wrapped(chained(Exception("adapted"), asyncpg.CannotConnectNowError("starting up"))),
        wrapped(chained(Exception("adapted"), asyncpg.AdminShutdownError("terminating connection"))),
        wrapped(chained(Exception("adapted"), asyncpg.TooManyConnectionsError("too many clients"))),
        sa.TimeoutError("QueuePool limit reached"),
    ],
)
def test_connection_failures_are_outages(error):
    assert database_unreachable(error)


@pytest.mark.parametrize(
    "error",
    [
        wrapped(chained(Exception("adapted"), asyncpg.UniqueViolationError("duplicate key"))),
        wrapped(chained(Exception("adapted"), asyncpg.UndefinedTableError("no such table"))),
        FileNotFoundError("template.txt"),
        ValueError("a bug"),
    ],
)
def test_refused_statements_and_other_errors_are_not(error):
    assert not database_unreachable(error)


async def test_an_unrelated_os_error_in_a_route_stays_a_500():
    app = FastAPI()
    install_error_handlers(app)
    install_outage_handlers(app)

    @app.get("/broken")
    async def broken() -> None:
        raise FileNotFoundError("template.txt")

    @app.get("/away")
    async def away() -> None:
        raise ConnectionRefusedError(111, "Connect call failed")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        broken_answer = await client.get("/broken")
        away_answer = await client.get("/away")
    assert broken_answer.status_code == 500
    assert broken_answer.json()["code"] == "internal_error"
    assert away_answer.status_code == 503
    assert away_answer.json()["code"] == "database_unavailable"
    assert away_answer.headers["Retry-After"] == "5"
