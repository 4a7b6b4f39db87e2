"""Triggers become deliveries: routing (api.md "Routing"), the parent feed and LA webhooks.

Runs inside the consumer's transaction: it only records; the dispatcher sends.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.events.alerts import AlertCleared
from attendance_common.events.envelope import CloudEvent
from notifications import routing, templates
from notifications.deliveries import add_delivery, mark_sent, mark_skipped
from notifications.models import Delivery, Message, RoutingScope, Subscription, Trigger
from notifications.people import Child, child_of, context

# api.md "Webhooks": alert events carry thin data, no names or contact details.
THIN_ALERT_FIELDS = ("alert_id", "type", "school_urn", "la_code", "upn", "date", "raised_at", "rule_version")


@dataclass(frozen=True)
class Incoming:
    """A trigger as a handler found it in an event."""

    key: str
    kind: str
    event: CloudEvent
    school_urn: str
    la_code: str | None
    upn: str


async def record_trigger(session: AsyncSession, incoming: Incoming, now: dt.datetime) -> None:
    """Record the trigger once (an alert published twice is one trigger) and route it."""
    if await session.get(Trigger, incoming.key) is not None:
        return
    trigger = Trigger(
        key=incoming.key,
        kind=incoming.kind,
        event_type=incoming.event.type,
        school_urn=incoming.school_urn,
        la_code=incoming.la_code,
        upn=incoming.upn,
        event=incoming.event.structured(),
        received_at=now,
    )
    session.add(trigger)
    await route(session, trigger, now)


async def routes_for(session: AsyncSession, school_urn: str, la_code: str | None) -> routing.Routes:
    scopes = {row.scope: row.routes for row in await session.scalars(select(RoutingScope))}
    return routing.resolve(scopes, school_urn, la_code)


async def route(session: AsyncSession, trigger: Trigger, now: dt.datetime) -> None:
    """Create the trigger's deliveries; people wait for their pupil's event if it has not come yet."""
    wanted = (await routes_for(session, trigger.school_urn, trigger.la_code)).get(trigger.kind, {})
    if wanted.get("local_authority"):
        await to_local_authority(session, trigger, now)
    if trigger.event_type == AlertCleared.event_type or not (
        wanted.get("parents") or wanted.get("social_worker")
    ):
        trigger.routed_at = now
        return
    child = await child_of(session, trigger)
    if child is None:
        return  # routed by route_waiting() when the pupil arrives
    if wanted.get("parents"):
        await to_parents(session, trigger, child, wanted["parents"], now)
    if wanted.get("social_worker"):
        await to_social_worker(session, trigger, child, now)
    trigger.routed_at = now


async def route_waiting(session: AsyncSession, school_urn: str, upn: str, now: dt.datetime) -> None:
    """Route triggers that arrived before their pupil's event (the topics are not ordered together)."""
    waiting = await session.scalars(
        select(Trigger).where(
            Trigger.school_urn == school_urn,
            Trigger.upn == upn,
            Trigger.routed_at.is_(None),
            Trigger.cleared_at.is_(None),
        )
    )
    for trigger in list(waiting):
        await route(session, trigger, now)


async def to_parents(
    session: AsyncSession, trigger: Trigger, child: Child, channels: list[str], now: dt.datetime
) -> None:
    """Every contact with parental responsibility, in priority order: the app feed and email where
    they have an address, SMS where they have a phone."""
    base = context(trigger, child, now)
    for parent in child.parents:
        text = templates.render("parents", trigger.kind, {**base, "parent_name": parent.name})
        if parent.email and "app" in channels:
            await to_feed(session, trigger, parent.email, parent.name, text, now)
        if parent.email and "email" in channels:
            await add_delivery(
                session,
                trigger,
                recipient_kind="parent",
                recipient_name=parent.name,
                address=parent.email,
                channel="email",
                subject=text.title,
                body=text.body,
                now=now,
            )
        if parent.phone and "sms" in channels:
            sms = templates.render("parents", trigger.kind, {**base, "parent_name": parent.name}, sms=True)
            await add_delivery(
                session,
                trigger,
                recipient_kind="parent",
                recipient_name=parent.name,
                address=parent.phone,
                channel="sms",
                subject=text.title,
                body=sms.body,
                now=now,
            )


async def to_feed(
    session: AsyncSession,
    trigger: Trigger,
    email: str,
    name: str,
    text: templates.Text,
    now: dt.datetime,
) -> None:
    """The `app` channel: the message lands in the parent's feed at once, in this transaction."""
    delivery = await add_delivery(
        session,
        trigger,
        recipient_kind="parent",
        recipient_name=name,
        address=email,
        channel="app",
        subject=text.title,
        body=text.body,
        now=now,
    )
    if delivery is None:
        return
    session.add(
        Message(
            parent_email=email,
            trigger_key=trigger.key,
            kind=trigger.kind,
            school_urn=trigger.school_urn,
            upn=trigger.upn,
            title=text.title,
            body=text.body,
            created_at=now,
        )
    )
    delivery.attempts = 1
    mark_sent(session, delivery, now)


async def to_social_worker(session: AsyncSession, trigger: Trigger, child: Child, now: dt.datetime) -> None:
    text = templates.render("social_worker", trigger.kind, context(trigger, child, now))
    email = child.social_worker_email
    await add_delivery(
        session,
        trigger,
        recipient_kind="social_worker",
        recipient_name=child.social_worker_name,
        address=email or "-",
        channel="email",
        subject=text.title,
        body=text.body,
        now=now,
        status="pending" if email else "skipped",
        error=None if email else "the pupil has no social worker email on record",
    )


async def to_local_authority(session: AsyncSession, trigger: Trigger, now: dt.datetime) -> None:
    """A webhook per subscription of the pupil's LA that asked for this event (and alert type)."""
    if trigger.la_code is None:
        return
    subscriptions = await session.scalars(
        select(Subscription).where(Subscription.la_code == trigger.la_code).order_by(Subscription.created_at)
    )
    body = json.dumps(webhook_event(trigger.event), separators=(",", ":"))
    for subscription in subscriptions:
        if not wants(subscription, trigger):
            continue
        await add_delivery(
            session,
            trigger,
            recipient_kind="local_authority",
            address=subscription.url,
            channel="webhook",
            subscription_id=subscription.id,
            subject=trigger.event_type,
            body=body,
            now=now,
        )


def wants(subscription: Subscription, trigger: Trigger) -> bool:
    if trigger.event_type not in subscription.event_types:
        return False
    is_alert = trigger.event_type.startswith("attendance.alert.")
    return not (is_alert and subscription.alert_types and trigger.kind not in subscription.alert_types)


def webhook_event(event: dict[str, object]) -> dict[str, object]:
    """The CloudEvent in structured mode; alert events thinned to the fields api.md lists."""
    data = event.get("data")
    if str(event.get("type", "")).startswith("attendance.alert.") and isinstance(data, dict):
        keep = (*THIN_ALERT_FIELDS, "cleared_at")
        return {**event, "data": {k: v for k, v in data.items() if k in keep}}
    return event


async def clear_alert(session: AsyncSession, alert_id: str, reason: str | None, now: dt.datetime) -> None:
    """The alert stopped holding: unsent messages about it are not sent; feed messages are resolved."""
    key = f"alert:{alert_id}"
    trigger = await session.get(Trigger, key)
    if trigger is None:
        return
    trigger.cleared_at = now
    pending = await session.scalars(
        select(Delivery).where(
            Delivery.trigger_key == key, Delivery.status == "pending", Delivery.channel != "webhook"
        )
    )
    for delivery in pending:
        mark_skipped(delivery, f"not sent: the alert cleared first ({reason or 'no longer holds'})")
    await session.execute(
        update(Message)
        .where(Message.trigger_key == key, Message.resolved_at.is_(None))
        .values(resolved_at=now)
    )
