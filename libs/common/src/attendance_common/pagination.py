"""List endpoints' paging (api.md conventions): `limit` (default 100, max 1000) and an opaque `after`."""

from __future__ import annotations

import base64
import json
from typing import Annotated, Any

from fastapi import Query

from attendance_common.errors import BadRequest

Limit = Annotated[int, Query(ge=1, le=1000, description="page size (max 1000)")]
After = Annotated[str | None, Query(description="the `next` cursor of the previous page")]


def encode_cursor(*values: Any) -> str:
    """An opaque cursor for the position after the row with these sort values."""
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except ValueError as error:
        raise BadRequest("bad_cursor", "`after` is not a cursor this service gave out") from error
    if not isinstance(values, list):
        raise BadRequest("bad_cursor", "`after` is not a cursor this service gave out")
    return values
