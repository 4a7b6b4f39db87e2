"""Wakes a loop when new rows commit, instead of it asking the database every few milliseconds:
on PostgreSQL a trigger on the table sends NOTIFY at each inserting statement (delivered on commit,
once per transaction), and the loop LISTENs on its own connection. The outbox relay wakes so
(channel `outbox`), and notifications' delivery loop (channel `deliveries`).

Polling stays as the net under it: every `idle_poll_seconds` while listening (a lost notification
costs that much delay, never an event), and at the loop's `poll_seconds` on SQLite or while the
listening connection cannot be opened (tried again every few seconds).
"""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg
import structlog
from sqlalchemy.engine import make_url

from attendance_common.db import Database

log = structlog.get_logger(__name__)
CHANNEL = "outbox"
RETRY_SECONDS = 5.0


def notify_on_insert_v1(table: str, channel: str, name: str) -> None:
    """In a service's migration: trigger and function `name` on `table`, sending NOTIFY `channel`
    once per inserting statement (PostgreSQL only; SQLite polls). Statement-level: PostgreSQL folds
    a transaction's identical notifications into one, delivered on commit."""
    from alembic import op

    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{channel}', '');
    RETURN NULL;
END $$
"""
        )
        op.execute(
            f"CREATE TRIGGER {name} AFTER INSERT ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )


def drop_notify_on_insert_v1(table: str, name: str) -> None:
    from alembic import op

    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {name}()")


def create_wake_trigger_v1() -> None:
    """In a service's migration: the outbox's NOTIFY trigger, which wakes the relay."""
    notify_on_insert_v1("outbox", CHANNEL, "outbox_wake_relay")


def drop_wake_trigger_v1() -> None:
    drop_notify_on_insert_v1("outbox", "outbox_wake_relay")


class Wake:
    """A loop's alarm: set by a notification on `channel` (or on (re)connecting), waited on between
    batches."""

    def __init__(self, database: Database, channel: str = CHANNEL) -> None:
        self.channel = channel
        url = make_url(database.url)
        self.dsn = (
            url.set(drivername="postgresql").render_as_string(hide_password=False)
            if url.get_backend_name() == "postgresql"
            else None
        )
        self.alarm = asyncio.Event()
        self.connection: asyncpg.Connection | None = None
        self.next_try = 0.0

    @property
    def listening(self) -> bool:
        return self.connection is not None and not self.connection.is_closed()

    async def listen(self) -> bool:
        """Listen if not already (again after a lost connection, at most every RETRY_SECONDS);
        False on SQLite or while the connection cannot be opened: the loop polls then."""
        if self.dsn is None or self.listening:
            return self.listening
        now = asyncio.get_running_loop().time()
        if now < self.next_try:
            return False
        self.next_try = now + RETRY_SECONDS
        try:
            self.connection = await asyncpg.connect(self.dsn, timeout=5)
            await self.connection.add_listener(self.channel, self._notified)
            # A lost connection wakes the relay too: it polls from then on until listening again.
            self.connection.add_termination_listener(self._notified)
        except (OSError, TimeoutError, asyncpg.PostgresError) as error:
            log.warning("listen_failed", channel=self.channel, error=repr(error), retry_in=RETRY_SECONDS)
            await self.close()
            return False
        self.alarm.set()  # rows committed while nobody listened go out at once
        return True

    def _notified(self, *_: object) -> None:
        self.alarm.set()

    async def wait(self, stop: asyncio.Event, seconds: float) -> None:
        """Until a notification, `stop`, or `seconds`; then ready for the next one."""
        if not self.alarm.is_set():
            waiters = [asyncio.ensure_future(self.alarm.wait()), asyncio.ensure_future(stop.wait())]
            _, pending = await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
            for waiter in pending:
                waiter.cancel()
        self.alarm.clear()

    async def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(Exception):
                await self.connection.close(timeout=2)
            self.connection = None
