"""Each LA's own topic, `attendance.la.{la_code}`: the events about its pupils, as its webhooks
carry them (api.md Part 2, "LA event streams").

A consumer group of its own (worker.LA_STREAM_CONSUMER) reads the shared topics' events that an
LA can be sent (la_events.SHAPES: adding a type there adds it here) and stages, in the same
transaction as its inbox rows, one outbox event per pupil named, on that pupil's LA's topic,
keyed by UPN. The relay publishes them in order (so one pupil's events stay in order on one
partition) and creates an LA's topic before its first event.

Every such event goes to the topic, whatever the webhook routing says (the LA filters by
`ce_type` and `data.type`, as its webhook subscriptions do by event and alert types). An event
keeps its id, so a redelivered event, a replay or a restarted worker stages nothing twice (the
outbox's `event_id` is unique) and the LA, deduping by `ce_id`, applies each event once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.bulk import upsert_rows
from attendance_common.events.catalog import EVENT_MODELS
from attendance_common.events.envelope import CloudEvent, encode_data
from attendance_common.events.outward import la_topic
from attendance_common.messaging import Received
from attendance_common.messaging.outbox import OutboxRow
from notifications.delivery import la_events

log = structlog.get_logger(__name__)


async def on_event(session: AsyncSession, received: Received) -> None:
    await on_events(session, [received])


async def on_events(session: AsyncSession, items: Sequence[Received]) -> None:
    """Stage what each LA is told of these events, in their order, on the LAs' own topics."""
    rows = [row for item in items for row in outbox_rows(item.event, item.data)]
    if rows:
        await session.flush()  # anything the ORM holds first: `id` order is publication order
        await upsert_rows(session, OutboxRow, rows, key=("event_id",))


def outbox_rows(event: CloudEvent, data: Any = None) -> list[dict[str, Any]]:
    """The outbox rows of `event` for the LAs' topics: one per pupil it names whose LA is known."""
    rows = []
    for item, outward in la_events.outward_events(event, data):
        if item.la_code is None:
            continue
        try:
            topic = la_topic(item.la_code)
        except ValueError:
            log.warning("la_stream_skipped", reason="la_code cannot name a topic", event_id=event.id)
            continue
        rows.append(
            {
                "topic": topic,
                "key": item.upn,
                "event_id": outward.id,
                "event_type": outward.type,
                "source": outward.source,
                "subject": outward.subject or item.upn,  # ce_subject is required on an LA's topic
                "dataschema": outward.dataschema,
                "traceparent": None,
                "time": outward.time,
                "data": encode_data(outward.data).decode(),
            }
        )
    return rows


# The shared topics that carry them, and the handlers, all from la_events.SHAPES.
TOPICS = tuple(sorted({EVENT_MODELS[event_type].topic for event_type in la_events.EVENT_TYPES}))
HANDLERS = dict.fromkeys(la_events.EVENT_TYPES, on_event)
BATCH_HANDLERS = dict.fromkeys(la_events.EVENT_TYPES, on_events)
