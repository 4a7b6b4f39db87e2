"""Keyset cursors: a `next` cursor holds the last row's sort values and reads back as them; anything
else is 400 `bad_cursor`, never a 500 or a silently different page."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from attendance_common.db import UtcDateTime
from attendance_common.errors import BadRequest
from attendance_common.pagination import cursor_after, encode_cursor, position


class _Base(DeclarativeBase):
    pass


class Row(_Base):
    __tablename__ = "rows"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    seq: Mapped[int] = mapped_column(Integer)


AT = dt.datetime(2026, 11, 16, 9, 30, tzinfo=dt.UTC)


def test_a_cursor_reads_back_as_the_rows_sort_values():
    row = Row(id="a1", at=AT, seq=7)
    assert position(cursor_after(row, (Row.at, Row.id)), (Row.at, Row.id)) == [AT, "a1"]
    assert position(cursor_after(row, (Row.seq,)), (Row.seq,)) == [7]


def test_timestamps_are_kept_in_iso_form():
    assert cursor_after(Row(id="a1", at=AT, seq=7), (Row.at, Row.id)) == encode_cursor(AT.isoformat(), "a1")


@pytest.mark.parametrize(
    ("cursor", "keys"),
    [
        ("not base64 at all!", (Row.seq,)),
        (encode_cursor(7, 8), (Row.seq,)),  # too many values
        (encode_cursor(AT.isoformat()), (Row.at, Row.id)),  # too few
        (encode_cursor(True), (Row.seq,)),  # a boolean is no position
        (encode_cursor("7"), (Row.seq,)),
        (encode_cursor("2026-11-16T09:30:00", "a1"), (Row.at, Row.id)),  # no time zone
        (encode_cursor("yesterday", "a1"), (Row.at, Row.id)),
        (encode_cursor(AT.isoformat(), 1), (Row.at, Row.id)),
        (encode_cursor(None, "a1"), (Row.at, Row.id)),
    ],
)
def test_anything_else_is_a_bad_cursor(cursor, keys):
    with pytest.raises(BadRequest) as refused:
        position(cursor, keys)
    assert refused.value.code == "bad_cursor"
