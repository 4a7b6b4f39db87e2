"""Which failures a consumer retries forever (outages) and which go to the DLQ (poison)."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError

from attendance_common.messaging.consumer import TransientError, is_transient


class _Wrapped(Exception):
    """What SQLAlchemy's asyncpg adapter puts in `DBAPIError.orig`: the driver's SQLSTATE."""

    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.CannotConnectNowError("the database system is starting up"),
        asyncpg.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.DeadlockDetectedError("deadlock detected"),
        asyncpg.InterfaceError("connection is closed"),
        DBAPIError("SELECT 1", {}, _Wrapped("57P03")),  # "not yet accepting connections", wrapped
        DBAPIError("SELECT 1", {}, _Wrapped("08006")),
        TransientError("try later"),
        ConnectionRefusedError(),
    ],
)
def test_outages_and_lost_races_are_retried_not_dead_lettered(error):
    assert is_transient(error)


@pytest.mark.parametrize(
    "error",
    [
        ValueError("a bad event"),
        asyncpg.UniqueViolationError("duplicate key"),
        asyncpg.DataError("invalid input for query argument"),
        IntegrityError("INSERT", {}, _Wrapped("23505")),
        DBAPIError("SELECT", {}, _Wrapped("22P02")),  # invalid text representation: the event's fault
    ],
)
def test_errors_in_the_event_itself_are_poison(error):
    assert not is_transient(error)
