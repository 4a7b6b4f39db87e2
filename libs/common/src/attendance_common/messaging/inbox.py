"""Idempotent-consumer inbox: the ids of events a consumer has applied, written with their effects."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import String, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from attendance_common.db import CommonBase, UtcDateTime


class InboxRow(CommonBase):
    """`(consumer, event_id)`: this consumer has applied this event; a redelivery is a no-op."""

    __tablename__ = "inbox"

    consumer: Mapped[str] = mapped_column(String(100), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(UtcDateTime())


async def already_applied(session: AsyncSession, consumer: str, event_ids: Iterable[str]) -> set[str]:
    """Which of `event_ids` this consumer has applied before."""
    ids = list(event_ids)
    if not ids:
        return set()
    rows = await session.scalars(
        select(InboxRow.event_id).where(InboxRow.consumer == consumer, InboxRow.event_id.in_(ids))
    )
    return set(rows)


async def record_applied(session: AsyncSession, consumer: str, event_ids: Iterable[str]) -> None:
    """Record `event_ids` as applied, in the caller's transaction (so with the effects)."""
    now = datetime.now(UTC)
    rows = [{"consumer": consumer, "event_id": event_id, "processed_at": now} for event_id in event_ids]
    if rows:
        await session.execute(insert(InboxRow), rows)
