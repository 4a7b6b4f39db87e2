"""Bulk upserts for hot paths: one statement for many rows, on PostgreSQL and SQLite alike.

On PostgreSQL the rows travel as one array per column through `unnest` on the transaction's own
asyncpg connection: SQLAlchemy's per-row compilation of multi-row INSERTs costs more than the
database work at thousands of rows (profiled in the registers benchmark). SQLite uses Core.

Arrays of integers, dates and strings to insert travel as array literals in one text parameter
(`$1::text::bigint[]`): asyncpg's encoding of a Python list checks every element against several
abstract base classes, about 0.3 us an element, several times the cost of `",".join`. Lookups
(`= ANY(...)`) keep bound arrays: a literal cast from text is not a constant to the planner, which
then guesses the array's size and, on a table it has no statistics for yet, scans it whole.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import ARRAY, JSON, BigInteger, Date, Enum, Integer, String, Table, any_, bindparam, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession


async def driver_connection(session: AsyncSession) -> Any | None:
    """The transaction's asyncpg connection on PostgreSQL, None on other backends."""
    connection = await session.connection()
    if connection.dialect.name != "postgresql":
        return None
    return (await connection.get_raw_connection()).driver_connection


def any_of(column: Any, values: Sequence[Any], dialect: str) -> Any:
    """`column IN values`, as `column = ANY(:array)` on PostgreSQL: one bound array instead of
    thousands of bound values, which SQLAlchemy compiles one by one on every execution."""
    if dialect == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(list(values))


async def select_where_in(
    session: AsyncSession, columns: Sequence[Any], key: Any, values: Sequence[Any]
) -> Sequence[Mapping[str, Any]]:
    """`SELECT columns WHERE key IN values`, rows readable by column name.

    On PostgreSQL the query goes straight to asyncpg with one array: for a thousand keys,
    SQLAlchemy's binding and row processing cost several times the query itself.
    """
    if not values:
        return []
    pg = await driver_connection(session)
    if pg is None:
        result = await session.execute(select(*columns).where(key.in_(list(values))))
        return [dict(row._mapping) for row in result]
    dialect = (await session.connection()).dialect
    names = ", ".join(column.name for column in columns)
    # A bound array (not a literal): the planner sees its size only when it is a constant.
    array = f"{key.type.compile(dialect=dialect)}[]"
    rows: Sequence[Mapping[str, Any]] = await pg.fetch(
        f"SELECT {names} FROM {key.table.name} WHERE {key.name} = ANY($1::{array})", list(values)
    )
    return rows


async def upsert_rows(
    session: AsyncSession,
    model: type[Any],
    rows: Sequence[Mapping[str, Any]],
    *,
    key: Sequence[str],
    add: Sequence[str] = (),
    replace: Sequence[str] = (),
    returning: str | tuple[str, ...] | None = None,
) -> list[Any]:
    """Insert rows; on a key conflict add the `add` columns to the stored ones and overwrite `replace`.

    With neither, conflicting rows are left as they are. Returns the `returning` column (or tuple
    of columns) of the rows inserted or changed, as stored after the statement (so, with neither,
    of the new ones only); nothing without it.
    """
    if not rows:
        return []
    columns = {name: [row[name] for row in rows] for name in rows[0]}
    return await upsert_columns(
        session, model, columns, key=key, add=add, replace=replace, returning=returning
    )


async def upsert_columns(
    session: AsyncSession,
    model: type[Any],
    values_of: Mapping[str, Sequence[Any]],
    *,
    key: Sequence[str],
    add: Sequence[str] = (),
    replace: Sequence[str] = (),
    returning: str | tuple[str, ...] | None = None,
) -> list[Any]:
    """`upsert_rows` for rows given column by column (each column's values in row order): for a
    caller that has its values that way, no row dicts are built only to be taken apart."""
    count = len(next(iter(values_of.values()), ()))
    if not count:
        return []
    table: Table = model.__table__
    columns = list(values_of)
    pg = await driver_connection(session)
    if pg is not None:
        dialect = (await session.connection()).dialect
        parameters = [
            array_parameter(table.c[c].type, _column_values(table.c[c], values_of[c]), dialect)
            for c in columns
        ]
        arrays = ", ".join(f"${i}::{cast}" for i, (cast, _) in enumerate(parameters, start=1))
        updates = [f"{c} = {table.name}.{c} + excluded.{c}" for c in add]
        updates += [f"{c} = excluded.{c}" for c in replace]
        action = f"DO UPDATE SET {', '.join(updates)}" if updates else "DO NOTHING"
        sql = (
            f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT * FROM unnest({arrays}) "
            f"ON CONFLICT ({', '.join(key)}) {action}"
        )
        values = [value for _, value in parameters]
        if returning is None:
            await pg.execute(sql, *values)
            return []
        found = await pg.fetch(f"{sql} RETURNING {', '.join(_names(returning))}", *values)
        return [row[0] if isinstance(returning, str) else tuple(row) for row in found]
    rows = [dict(zip(columns, values, strict=True)) for values in zip(*values_of.values(), strict=True)]
    statement = sqlite_insert(table)
    sets = {c: table.c[c] + statement.excluded[c] for c in add} | {c: statement.excluded[c] for c in replace}
    statement = (
        statement.on_conflict_do_update(index_elements=list(key), set_=sets)
        if sets
        else statement.on_conflict_do_nothing(index_elements=list(key))
    )
    if returning is None:
        await session.execute(statement, rows)
        return []
    returns = statement.returning(*(table.c[name] for name in _names(returning)))
    found = await session.execute(returns, rows)
    return [row[0] if isinstance(returning, str) else tuple(row) for row in found]


def _names(returning: str | tuple[str, ...]) -> tuple[str, ...]:
    return (returning,) if isinstance(returning, str) else returning


def _column_values(column: Any, values: Sequence[Any]) -> list[Any]:
    """One column's values as asyncpg takes them: JSON columns travel as text."""
    if isinstance(column.type, JSON):
        return [None if value is None else json.dumps(value) for value in values]
    return list(values)


def array_parameter(column_type: Any, values: list[Any], dialect: Any) -> tuple[str, Any]:
    """(SQL cast, value) for binding `values` as one PostgreSQL array of `column_type`: a literal
    in a text parameter for integers, dates and strings, else the list as asyncpg encodes it."""
    array = f"{column_type.compile(dialect=dialect)}[]"
    if isinstance(column_type, Integer | BigInteger | Date):  # BigInteger is an Integer
        return f"text::{array}", plain_array(values)
    if isinstance(column_type, String) and not isinstance(column_type, Enum):
        try:
            return f"text::{array}", text_array(values)
        except (TypeError, AttributeError):  # not all strings: asyncpg says what it thinks of them
            pass
    return array, values


def int_array(values: Iterable[int]) -> str:
    """A PostgreSQL array literal of integers: `{1,2,3}`."""
    return "{" + ",".join(map(str, values)) + "}"


def date_array(values: Iterable[dt.date]) -> str:
    """A PostgreSQL array literal of dates: `{2026-11-16,2026-11-17}`."""
    return "{" + ",".join(map(str, values)) + "}"


def plain_array(values: Sequence[int | dt.date | None]) -> str:
    """Integers or dates, with None as NULL: neither needs quoting."""
    if None not in values:
        return "{" + ",".join(map(str, values)) + "}"
    return "{" + ",".join("NULL" if v is None else str(v) for v in values) + "}"


def text_array(values: Sequence[str | None]) -> str:
    """A PostgreSQL array literal of strings, each quoted (so the string `NULL` stays a string);
    None is NULL."""
    if not values:
        return "{}"
    if None not in values:
        joined = "".join(values)  # type: ignore[arg-type]
        if '"' not in joined and "\\" not in joined:  # nothing to escape: UPNs, codes, URNs
            return '{"' + '","'.join(values) + '"}'  # type: ignore[arg-type]
    return "{" + ",".join(_quoted(v) for v in values) + "}"


def _quoted(value: str | None) -> str:
    if value is None:
        return "NULL"
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
