"""The audit table refuses UPDATE, and DELETE of entries under 6 years old; the purge removes older ones."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import DBAPIError

from attendance_common.audit import RETENTION, AuditEntry, purge_audit
from attendance_common.db import Database
from attendance_common.migrations import upgrade_database
from registers.main import MIGRATIONS

pytestmark = pytest.mark.integration

NOW = dt.datetime.now(dt.UTC)


def entry(at: dt.datetime) -> AuditEntry:
    return AuditEntry(
        at=at, sub="s", role="admin", action="read", method="GET", resource="/v1/x", path="/v1/x", status=200
    )


@pytest.fixture
async def database(backend, test_databases):
    url = test_databases.create("audit_append_only", backend=backend)
    upgrade_database(MIGRATIONS, url)
    db = Database(url)
    async with db.transaction() as session:
        session.add_all([entry(NOW), entry(NOW - RETENTION - dt.timedelta(days=30))])
    yield db
    await db.dispose()


async def test_an_entry_cannot_be_updated(database):
    with pytest.raises(DBAPIError, match="append-only"):
        async with database.transaction() as session:
            await session.execute(update(AuditEntry).values(sub="someone else"))


async def test_a_recent_entry_cannot_be_deleted(database):
    with pytest.raises(DBAPIError, match="append-only"):
        async with database.transaction() as session:
            await session.execute(text("DELETE FROM audit_log"))


async def test_the_purge_removes_only_entries_older_than_six_years(database):
    async with database.transaction() as session:
        assert await purge_audit(session, now=NOW) == 1
    async with database.transaction() as session:
        left = list(await session.scalars(AuditEntry.__table__.select()))
    assert len(left) == 1


async def test_a_retention_shorter_than_six_years_is_refused(database):
    async with database.transaction() as session:
        with pytest.raises(ValueError, match="at least 6 years"):
            await purge_audit(session, now=NOW, retention=dt.timedelta(days=365))
