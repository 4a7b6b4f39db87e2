"""Lanes: a consumer's fetch split by key into transactions applied at once (PostgreSQL)."""

from __future__ import annotations

import pytest
from spine_support import run_until, unique
from spine_tables import apply_school, effects_for
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.events.base import PUPILS_TOPIC
from attendance_common.events.registers import SchoolUpserted
from attendance_common.messaging import EventConsumer, OutboxRelay, Received, add_event

pytestmark = pytest.mark.integration


async def test_lanes_apply_each_event_once_in_key_order_in_parallel_transactions(
    settings, database, producer
):
    urns = [unique("lane") for _ in range(24)]
    async with database.transaction() as session:
        for name in ("first", "second", "third"):  # per URN, in this order, on one partition
            for urn in urns:
                add_event(session, SchoolUpserted(urn=urn, name=name, la_code="380"), source="spine")
    await OutboxRelay(database, producer).publish_pending()

    transactions: list[tuple[str, object]] = []  # (URN, the transaction that applied it)

    async def apply_and_note(session: AsyncSession, received: Received) -> None:
        await apply_school(session, received)
        if session.get_bind().dialect.name == "postgresql":
            transactions.append((received.data.urn, await session.scalar(text("SELECT txid_current()"))))

    consumer = EventConsumer(
        name=unique("lanes-"),
        topics=[PUPILS_TOPIC],
        handlers={SchoolUpserted.event_type: apply_and_note},
        database=database,
        settings=settings,
        producer=producer,
        lanes=2,
        lane_topics=[PUPILS_TOPIC],
    )

    async def all_applied() -> bool:
        async with database.transaction() as session:
            found = await effects_for(session, urns)
        return sum(len(names) for names in found.values()) == 3 * len(urns)

    await run_until(consumer, all_applied)
    async with database.transaction() as session:
        assert await effects_for(session, urns) == {urn: ["first", "second", "third"] for urn in urns}
    if transactions:  # PostgreSQL: SQLite has one writer, so it keeps one lane
        assert len({txid for _, txid in transactions}) > 1
