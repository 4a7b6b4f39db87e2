"""A database outage seen by an API: a 503 problem `database_unavailable` with `Retry-After`, not a 500.

Readiness (`/readyz`) takes the pod out of its Service while the database is away; requests already
routed to it are told to come back, and a statement the database refused stays a 500 (a bug). While
serving, an API connects to nothing else (a JWKS fetch has its own 503), so a refused connection is
the database's.
"""

from __future__ import annotations

import socket

import asyncpg
import structlog
from fastapi import FastAPI, Request
from fastapi.responses import Response
from sqlalchemy import exc as sa

from attendance_common.errors import ServiceUnavailable, error_response

log = structlog.get_logger(__name__)

RETRY_AFTER_SECONDS = 5

# What a driver raises when it cannot reach the server or the server goes away: connection refused,
# reset, unresolvable or timed out; PostgreSQL starting, shutting down, crashed or out of connections.
_UNREACHABLE: tuple[type[BaseException], ...] = (
    sa.TimeoutError,  # no pooled connection came free in time
    ConnectionError,
    TimeoutError,
    socket.gaierror,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
    asyncpg.ConnectionDoesNotExistError,
)


def database_unreachable(error: BaseException | None) -> bool:
    """Whether `error` (or what caused it) says the database cannot be reached, not that it refused a
    statement. SQLAlchemy wraps driver errors (`orig`), the asyncpg adapter chains them (`__cause__`)."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, _UNREACHABLE):
            return True
        if isinstance(error, sa.DBAPIError) and error.connection_invalidated:
            return True
        orig = getattr(error, "orig", None) if isinstance(error, sa.DBAPIError) else None
        error = orig if isinstance(orig, BaseException) else error.__cause__
        seen += 1
    return False


async def _database_error(request: Request, error: Exception) -> Response:
    if not database_unreachable(error):
        raise error  # on to the 500 handler, as if this one were not here
    log.warning("database_unavailable", method=request.method, path=request.url.path, error=repr(error))
    unavailable = ServiceUnavailable(
        "database_unavailable",
        "The service's database cannot be reached just now; try again shortly.",
        retry_after=RETRY_AFTER_SECONDS,
    )
    return error_response(request, unavailable)


def install_outage_handlers(app: FastAPI) -> None:
    """Answer a database outage with 503 + Retry-After; other errors of these kinds stay 500s."""
    for kind in (sa.DBAPIError, sa.TimeoutError, OSError, asyncpg.PostgresError):
        app.add_exception_handler(kind, _database_error)
