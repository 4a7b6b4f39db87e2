"""Transactional outbox: events are rows written in the same transaction as the change that causes them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import String, Text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from attendance_common.bulk import upsert_rows
from attendance_common.db import BIG_ID, CommonBase, UtcDateTime, partial_index
from attendance_common.events.base import EventData
from attendance_common.events.envelope import (
    CloudEvent,
    Headers,
    binary_headers,
    encode_data,
    make_event,
)
from attendance_common.tracing import current_traceparent


class OutboxRow(CommonBase):
    """One event waiting to be (or already) published; `id` order is publication order."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    topic: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(200))
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    event_type: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str | None] = mapped_column(String(200))
    dataschema: Mapped[str | None] = mapped_column(String(200))
    traceparent: Mapped[str | None] = mapped_column(String(100))
    time: Mapped[datetime] = mapped_column(UtcDateTime())
    data: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    __table_args__ = (
        # The relay scans only unsent rows; a partial index keeps that cheap however large the table.
        partial_index("ix_outbox_unsent", "id", where="sent_at IS NULL"),
    )

    def to_kafka(self) -> tuple[Headers, bytes]:
        """The record to publish: headers from the columns, the stored JSON as the value."""
        attributes = {
            "id": self.event_id,
            "source": self.source,
            "type": self.event_type,
            "subject": self.subject,
            "time": self.time,
            "dataschema": self.dataschema,
            "traceparent": self.traceparent,
        }
        return binary_headers(attributes), self.data.encode()


def add_event(
    session: AsyncSession, data: EventData, *, source: str, traceparent: str | None = None
) -> CloudEvent:
    """Stage `data` as an event in the caller's transaction; the relay publishes it after commit.

    The event carries `traceparent`, by default the current span's (the request's or the consumed
    event's), so its consumers continue the same trace.
    """
    event = make_event(data, source=source, traceparent=traceparent or current_traceparent())
    session.add(OutboxRow(**_row(data, event)))
    return event


async def add_events(
    session: AsyncSession, items: Sequence[EventData], *, source: str, traceparent: str | None = None
) -> list[CloudEvent]:
    """Stage many events in one statement, in order, after anything staged with `add_event`."""
    traceparent = traceparent or current_traceparent()
    events = [make_event(data, source=source, traceparent=traceparent) for data in items]
    if events:
        await session.flush()  # rows staged one by one come first: `id` order is publication order
        rows = [_row(data, event) for data, event in zip(items, events, strict=True)]
        await upsert_rows(session, OutboxRow, rows, key=("event_id",))
    return events


def _row(data: EventData, event: CloudEvent) -> dict[str, Any]:
    return {
        "topic": data.topic,
        "key": data.key(),
        "event_id": event.id,
        "event_type": event.type,
        "source": event.source,
        "subject": event.subject,
        "dataschema": event.dataschema,
        "traceparent": event.traceparent,
        "time": event.time,
        "data": encode_data(event.data).decode(),
    }
