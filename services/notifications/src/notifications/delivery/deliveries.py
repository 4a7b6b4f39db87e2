"""Delivery rows: created once per trigger, recipient and channel; outcomes published via the outbox."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import object_session

from attendance_common.bulk import upsert_rows
from attendance_common.copying import attributes
from attendance_common.events.notifications import NotificationFailed, NotificationSent
from attendance_common.messaging import add_event, add_events
from attendance_common.metrics import NOTIFICATIONS, count_on_commit
from notifications.delivery.recipients import TriggerRow
from notifications.models import Delivery, Message
from notifications.updates import preferences

SOURCE = "notifications"


@dataclass
class NewDeliveries:
    """One trigger's new deliveries, in creation order, written in a few statements by `write`.

    A delivery exists once per trigger, recipient and channel: repeats here, and rows the trigger
    already has (`fresh=False`), are dropped. `app` deliveries are sent at once: the parent's feed
    message and the `notification.sent` event are written with them.
    """

    trigger: TriggerRow
    now: dt.datetime
    rows: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    messages: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)

    def add(
        self,
        *,
        recipient_kind: str,
        address: str,
        channel: str,
        subject: str,
        body: str,
        recipient_name: str | None = None,
        subscription_id: str | None = None,
        status: str = "pending",
        error: str | None = None,
    ) -> bool:
        """Stage a delivery; False when this trigger already has one for this recipient and channel."""
        once = (channel, recipient_kind, address)
        if once in self.rows:
            return False
        trigger, now = self.trigger, self.now
        self.rows[once] = {
            "id": str(uuid.uuid4()),
            "trigger_key": trigger.key,
            "trigger": trigger.kind,
            "school_urn": trigger.school_urn,
            "la_code": trigger.la_code,
            "upn": trigger.upn,
            "recipient_kind": recipient_kind,
            "recipient_name": recipient_name,
            "address": address,
            "channel": channel,
            "subscription_id": subscription_id,
            "subject": subject[:300],
            "body": body,
            "status": status,
            "attempts": 0,
            "error": error,
            "created_at": now,
            "next_attempt_at": now if status == "pending" else None,
            "sent_at": None,
            "sending_at": None,
        }
        return True

    def to_parent(
        self, name: str | None, address: str, channel: str, title: str, body: str, **outcome: Any
    ) -> bool:
        """`add` for a parent (`outcome`: a status and error, for one not to be sent)."""
        return self.add(
            recipient_kind="parent",
            recipient_name=name,
            address=address,
            channel=channel,
            subject=title,
            body=body,
            **outcome,
        )

    def add_to_feed(self, *, email: str, name: str, title: str, body: str) -> None:
        """The `app` channel: the message lands in the parent's feed at once, in this transaction."""
        if not self.to_parent(name, email, "app", title, body):
            return
        once = ("app", "parent", email)
        self.rows[once].update(status="sent", attempts=1, sent_at=self.now, next_attempt_at=None)
        trigger = self.trigger
        self.messages[once] = {
            "parent_email": email,
            "trigger_key": trigger.key,
            "kind": trigger.kind,
            "school_urn": trigger.school_urn,
            "upn": trigger.upn,
            "title": title,
            "body": body,
            "created_at": self.now,
        }

    async def write(self, session: AsyncSession, *, fresh: bool) -> None:
        """Insert what is new; `fresh` when the trigger was recorded just now (so it has none yet)."""
        if fresh or not self.rows:
            await write_new(session, [self])
            return
        existing = await session.execute(
            select(Delivery.channel, Delivery.recipient_kind, Delivery.address).where(
                Delivery.trigger_key == self.trigger.key
            )
        )
        gone = {tuple(row) for row in existing}
        new = NewDeliveries(self.trigger, self.now)
        new.rows = {once: row for once, row in self.rows.items() if once not in gone}
        new.messages = {once: message for once, message in self.messages.items() if once in new.rows}
        await write_new(session, [new])


async def write_new(session: AsyncSession, staged: Sequence[NewDeliveries]) -> None:
    """Insert the deliveries of triggers recorded just now (none stored yet), in order, with one
    statement per table for them all: deliveries, feed messages and `notification.sent` events.
    What a parent opted out of is recorded `skipped` first (updates.preferences)."""
    await preferences.hold_back(session, staged)
    rows = [row for new in staged for row in new.rows.values()]
    if not rows:
        return
    await upsert_rows(session, Delivery, rows, key=_ONCE)
    messages = [message for new in staged for message in new.messages.values()]
    await upsert_rows(session, Message, messages, key=("trigger_key", "parent_email"))
    sent = [
        _sent_event(row, new.now) for new in staged for once, row in new.rows.items() if once in new.messages
    ]
    await add_events(session, sent, source=SOURCE)
    for row in rows:
        if row["status"] != "pending":
            count_on_commit(session.sync_session, NOTIFICATIONS, row["channel"], row["status"])


_ONCE = ("trigger_key", "channel", "recipient_kind", "address")  # uq_deliveries_once


def _sent_event(row: dict[str, Any], now: dt.datetime) -> NotificationSent:
    return NotificationSent(
        notification_id=row["id"],
        trigger=row["trigger"],
        upn=row["upn"],
        school_urn=row["school_urn"],
        channel=row["channel"],
        recipient_kind=row["recipient_kind"],
        attempts=row["attempts"],
        sent_at=now,
    )


def _count(delivery: Delivery) -> None:
    """The final status, counted in `attendance_notifications` once its transaction commits."""
    session = object_session(delivery)
    if session is not None:
        count_on_commit(session, NOTIFICATIONS, delivery.channel, delivery.status)


def mark_sent(session: AsyncSession, delivery: Delivery, now: dt.datetime) -> None:
    delivery.status, delivery.sent_at, delivery.next_attempt_at, delivery.error = "sent", now, None, None
    _count(delivery)
    add_event(
        session,
        NotificationSent(**_event_fields(delivery), sent_at=now),
        source=SOURCE,
    )


def mark_failed(session: AsyncSession, delivery: Delivery, error: str, now: dt.datetime) -> None:
    delivery.status, delivery.error, delivery.next_attempt_at = "failed", error[:2000], None
    _count(delivery)
    add_event(
        session,
        NotificationFailed(**_event_fields(delivery), error=error[:2000], failed_at=now),
        source=SOURCE,
    )


def _event_fields(delivery: Delivery) -> dict[str, Any]:
    """What its sent and failed events both say of the delivery."""
    fields = ("trigger", "upn", "school_urn", "channel", "recipient_kind", "attempts")
    return {"notification_id": delivery.id, **attributes(delivery, fields)}


def mark_skipped(delivery: Delivery, reason: str) -> None:
    delivery.status, delivery.error, delivery.next_attempt_at = "skipped", reason[:2000], None
    _count(delivery)
