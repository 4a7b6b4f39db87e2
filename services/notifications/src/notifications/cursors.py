"""Cursors of the lists ordered by (timestamp, id)."""

from __future__ import annotations

import datetime as dt

from attendance_common.errors import BadRequest
from attendance_common.pagination import decode_cursor


def time_id_position(after: str) -> tuple[dt.datetime, str]:
    """The (timestamp, id) a `next` cursor points after; 400 `bad_cursor` for anything else."""
    values = decode_cursor(after)
    try:
        stamp, last_id = values
        at = dt.datetime.fromisoformat(stamp)
    except (TypeError, ValueError) as error:
        raise BadRequest("bad_cursor", "`after` is not a cursor this service gave out") from error
    if at.tzinfo is None or not isinstance(last_id, str):
        raise BadRequest("bad_cursor", "`after` is not a cursor this service gave out")
    return at, last_id
