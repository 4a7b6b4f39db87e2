"""List endpoints' paging (api.md conventions): `limit` (default 100, max 1000) and an opaque `after`.

Every list is a keyset page: ordered by a few columns whose last is unique, and continued after the
last row's values, which the `next` cursor carries (base64 of a JSON list; timestamps in ISO form).
A cursor this service did not give out is 400 `bad_cursor`.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Sequence
from typing import Annotated, Any, TypeVar

from fastapi import Query
from sqlalchemy import ColumnElement, Select, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from attendance_common.errors import BadRequest

Limit = Annotated[int, Query(ge=1, le=1000, description="page size (max 1000)")]
After = Annotated[str | None, Query(description="the `next` cursor of the previous page")]
T = TypeVar("T")
Key = InstrumentedAttribute[Any]


def encode_cursor(*values: Any) -> str:
    """An opaque cursor for the position after the row with these sort values."""
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except ValueError as error:
        raise _bad_cursor() from error
    if not isinstance(values, list):
        raise _bad_cursor()
    return values


async def keyset_page(
    session: AsyncSession,
    query: Select[T],
    keys: Sequence[Key],
    *,
    limit: int,
    after: str | None,
    descending: bool = False,
) -> tuple[list[T], str | None]:
    """Up to `limit` rows of `query` ordered by `keys` (the last one unique), those after the
    cursor `after`; and the cursor of the following page, None on the last one."""
    if after:
        query = query.where(_beyond(keys, position(after, keys), descending))
    order = [key.desc() if descending else key for key in keys]
    rows = list(await session.scalars(query.order_by(*order).limit(limit + 1)))
    page = rows[:limit]
    return page, (cursor_after(page[-1], keys) if len(rows) > limit else None)


def cursor_after(row: object, keys: Sequence[Key]) -> str:
    """The cursor of the position after `row`."""
    values = [getattr(row, key.key) for key in keys]
    return encode_cursor(*(v.isoformat() if isinstance(v, dt.datetime) else v for v in values))


def position(after: str, keys: Sequence[Key]) -> list[Any]:
    """The values of `keys` a cursor holds, each of its column's type (an aware timestamp, a whole
    number, a string); 400 `bad_cursor` for anything else."""
    values = decode_cursor(after)
    if len(values) != len(keys):
        raise _bad_cursor()
    return [_typed(value, key.type.python_type) for value, key in zip(values, keys, strict=True)]


def _typed(value: Any, kind: type) -> Any:
    if kind is dt.datetime:
        try:
            moment = dt.datetime.fromisoformat(value)
        except (TypeError, ValueError) as error:
            raise _bad_cursor() from error
        if moment.tzinfo is None:
            raise _bad_cursor()
        return moment
    if not isinstance(value, kind) or isinstance(value, bool):
        raise _bad_cursor()
    return value


def _beyond(keys: Sequence[Key], values: Sequence[Any], descending: bool) -> ColumnElement[bool]:
    """Rows after (before, descending) the position in the order of `keys`: the first key past its
    value, or equal to it and the rest beyond theirs."""
    key, value = keys[0], values[0]
    past = key < value if descending else key > value
    if len(keys) == 1:
        return past
    return or_(past, and_(key == value, _beyond(keys[1:], values[1:], descending)))


def _bad_cursor() -> BadRequest:
    return BadRequest("bad_cursor", "`after` is not a cursor this service gave out")
