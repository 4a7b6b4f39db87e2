"""Delivery rows: created once per trigger, recipient and channel; outcomes published via the outbox."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import object_session

from attendance_common.events.notifications import NotificationFailed, NotificationSent
from attendance_common.messaging import add_event
from attendance_common.metrics import NOTIFICATIONS, count_on_commit
from notifications.models import Delivery, Trigger

SOURCE = "notifications"


async def add_delivery(
    session: AsyncSession,
    trigger: Trigger,
    *,
    recipient_kind: str,
    address: str,
    channel: str,
    subject: str,
    body: str,
    now: dt.datetime,
    recipient_name: str | None = None,
    subscription_id: str | None = None,
    status: str = "pending",
    error: str | None = None,
) -> Delivery | None:
    """A new delivery, or None when this trigger already has one for this recipient and channel."""
    existing = await session.scalar(
        select(Delivery.id).where(
            Delivery.trigger_key == trigger.key,
            Delivery.channel == channel,
            Delivery.recipient_kind == recipient_kind,
            Delivery.address == address,
        )
    )
    if existing is not None:
        return None
    delivery = Delivery(
        id=str(uuid.uuid4()),
        trigger_key=trigger.key,
        trigger=trigger.kind,
        school_urn=trigger.school_urn,
        la_code=trigger.la_code,
        upn=trigger.upn,
        recipient_kind=recipient_kind,
        recipient_name=recipient_name,
        address=address,
        channel=channel,
        subscription_id=subscription_id,
        subject=subject[:300],
        body=body,
        status=status,
        attempts=0,
        error=error,
        created_at=now,
        next_attempt_at=now if status == "pending" else None,
    )
    session.add(delivery)
    await session.flush()  # sessions do not autoflush: the next existence check must see this row
    if status != "pending":
        _count(delivery)
    return delivery


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
        NotificationSent(
            notification_id=delivery.id,
            trigger=delivery.trigger,
            upn=delivery.upn,
            school_urn=delivery.school_urn,
            channel=delivery.channel,
            recipient_kind=delivery.recipient_kind,
            attempts=delivery.attempts,
            sent_at=now,
        ),
        source=SOURCE,
    )


def mark_failed(session: AsyncSession, delivery: Delivery, error: str, now: dt.datetime) -> None:
    delivery.status, delivery.error, delivery.next_attempt_at = "failed", error[:2000], None
    _count(delivery)
    add_event(
        session,
        NotificationFailed(
            notification_id=delivery.id,
            trigger=delivery.trigger,
            upn=delivery.upn,
            school_urn=delivery.school_urn,
            channel=delivery.channel,
            recipient_kind=delivery.recipient_kind,
            attempts=delivery.attempts,
            error=error[:2000],
            failed_at=now,
        ),
        source=SOURCE,
    )


def mark_skipped(delivery: Delivery, reason: str) -> None:
    delivery.status, delivery.error, delivery.next_attempt_at = "skipped", reason[:2000], None
    _count(delivery)
