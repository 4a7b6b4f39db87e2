"""Checking a retention schedule: rows labelled due or kept go in, the dry run must count the due
ones, the purge must delete exactly them."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, select

from attendance_common.db import Database
from attendance_common.migrations import upgrade_database
from attendance_common.retention import Rule, count_due, purge
from attendance_common.testing.databases import TestDatabases


async def migrated(test_databases: TestDatabases, label: str, backend: str, migrations: Path) -> Database:
    """A fresh database of `backend` at the service's latest migration."""
    url = test_databases.create(label, backend=backend)
    await asyncio.to_thread(upgrade_database, migrations, url)
    return Database(url)


async def check_schedule(
    database: Database,
    rules: Sequence[Rule],
    now: dt.datetime,
    rows: Sequence[tuple[Any, bool]],
    *,
    batch_size: int = 2,
) -> None:
    """Insert `rows` (ORM objects, parents first, each marked due or not), then check that the dry
    run counts the due ones per table and that a purge in small batches deletes exactly those."""
    async with database.transaction() as session:
        for row, _ in rows:
            session.add(row)
            await session.flush()  # in the given order, so foreign keys hold
    due = [(type(row).__tablename__, inspect(row).identity) for row, is_due in rows if is_due]
    kept = [(type(row).__tablename__, inspect(row).identity) for row, is_due in rows if not is_due]
    expected = Counter(table for table, _ in due)
    names = [rule.name for rule in rules]
    kept = [(table, key) for table, key in kept if table in names]  # tables without a rule stay anyway

    counted = await count_due(database, rules, now)
    assert {name: counted[name] for name in names if counted[name]} == dict(expected), "dry run"

    deleted = await purge(database, rules, now, batch_size=batch_size)
    assert {name: deleted[name] for name in names if deleted[name]} == dict(expected), "purge"
    left = await _keys_left(database, rules)
    assert [key for key in kept if key not in left] == [], "kept rows were deleted"
    assert [key for key in due if key in left] == [], "due rows were left"


async def _keys_left(database: Database, rules: Sequence[Rule]) -> set[tuple[str, tuple[Any, ...]]]:
    left = set()
    async with database.transaction() as session:
        for rule in rules:
            key = list(rule.table.primary_key.columns)
            for row in await session.execute(select(*key)):
                left.add((rule.name, tuple(row)))
    return left
