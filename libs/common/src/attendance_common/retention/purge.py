"""Count what is due, or delete it: rule by rule in order, in batches of a transaction each."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Row, delete, func, literal, select, tuple_

from attendance_common.db import Database

from .rules import Rule


async def count_due(database: Database, rules: Sequence[Rule], now: dt.datetime) -> dict[str, int]:
    """How many rows each rule would delete at `now` (rows that become due as others go included)."""
    counts = {}
    async with database.transaction() as session:
        for rule in rules:
            query = select(func.count()).select_from(rule.table).where(rule.due(now))
            counts[rule.name] = int(await session.scalar(query) or 0)
    return counts


async def purge(
    database: Database, rules: Sequence[Rule], now: dt.datetime, *, batch_size: int = 1000
) -> dict[str, int]:
    """Delete what each rule says is due at `now`, in the rules' order (a table's dependants first)."""
    return {rule.name: await _purge_rule(database, rule, now, batch_size) for rule in rules}


async def _purge_rule(database: Database, rule: Rule, now: dt.datetime, batch_size: int) -> int:
    """Batches in primary-key order, each starting after the last: every batch reads on from where the
    previous one stopped, not over the rows it has just deleted."""
    key = list(rule.table.primary_key.columns)
    deleted, last = 0, None
    while True:
        async with database.transaction() as session:
            query = select(*key).where(rule.due(now)).order_by(*key).limit(batch_size)
            if last is not None:
                query = query.where(_after(key, last))
            rows = (await session.execute(query)).all()
            if rows:
                await session.execute(delete(rule.table).where(_one_of(key, rows)))
        deleted += len(rows)
        if len(rows) < batch_size:
            return deleted
        last = tuple(rows[-1])


def _after(key: list[Any], last: tuple[Any, ...]) -> ColumnElement[bool]:
    if len(key) == 1:
        return key[0] > last[0]
    typed = (literal(value, column.type) for column, value in zip(key, last, strict=True))
    return tuple_(*key) > tuple_(*typed)


def _one_of(key: list[Any], rows: Sequence[Row[Any]]) -> ColumnElement[bool]:
    if len(key) == 1:
        return key[0].in_([row[0] for row in rows])
    return tuple_(*key).in_([tuple(row) for row in rows])
