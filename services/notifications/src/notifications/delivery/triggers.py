"""Triggers become deliveries: routing (api.md "Routing"), the parent feed and LA webhooks.

Runs inside the consumer's transaction: it only records; the dispatcher sends.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.bulk import upsert_rows
from attendance_common.clock import today_in_london
from attendance_common.events.alerts import AlertCleared
from attendance_common.events.envelope import CloudEvent
from attendance_common.metrics import NOTIFICATIONS, count_on_commit
from attendance_common.scopes import stored_settings
from notifications.delivery import catch_up, family_reports, routing, templates
from notifications.delivery.deliveries import NewDeliveries, write_new
from notifications.delivery.la_events import outward_event
from notifications.delivery.recipients import Child, TriggerRow, child_of, children_of, context
from notifications.models import Delivery, Message, RoutingScope, Subscription, Trigger


@dataclass(frozen=True)
class Incoming:
    """A trigger as a handler found it in an event."""

    key: str
    kind: str
    event: CloudEvent
    school_urn: str
    la_code: str | None
    upn: str


class Pupil(Protocol):
    """Whatever names one pupil in an event: its school, its LA (when known) and its UPN."""

    @property
    def school_urn(self) -> str: ...
    @property
    def la_code(self) -> str | None: ...
    @property
    def upn(self) -> str: ...


def about(event: CloudEvent, key: str, kind: str, pupil: Pupil) -> Incoming:
    """The trigger `key` that the event makes about one pupil."""
    return Incoming(key, kind, event, pupil.school_urn, pupil.la_code, pupil.upn)


async def record_trigger(session: AsyncSession, incoming: Incoming, now: dt.datetime) -> None:
    """Record the trigger once (an alert published twice is one trigger) and route it."""
    await record_triggers(session, [incoming], now)


async def record_triggers(session: AsyncSession, incomings: Sequence[Incoming], now: dt.datetime) -> None:
    """`record_trigger` for each in turn, in a few statements for them all (a consumed run of
    alerts): the first of a repeated key counts, the new triggers' deliveries are written in order."""
    triggers: dict[str, TriggerRow] = {}
    for incoming in incomings:
        triggers.setdefault(incoming.key, trigger_row(incoming))
    # Recorded as routed in the statement that finds them new: their pupils are known almost always.
    new = await insert_triggers(session, list(triggers.values()), now)
    fresh = [trigger for trigger in triggers.values() if trigger.key in new]
    if not fresh:
        return
    wanted = {t.key: (await routes_for(session, t.school_urn, t.la_code)).get(t.kind, {}) for t in fresh}
    children = await children_of(session, [t for t in fresh if needs_child(t, wanted[t.key])])
    reported = await family_reports.covered(session, fresh)
    folded = await catch_up.folding(session, fresh, today_in_london(now), unfolded=reported)
    staged: list[NewDeliveries] = []
    waiting: list[str] = []
    for trigger in fresh:
        deliveries = NewDeliveries(trigger, now)
        child = children.get(trigger.key)
        routed = await stage(
            session,
            deliveries,
            wanted[trigger.key],
            child,
            trigger.key in reported,
            dates=folded.dates_of(trigger.key),
            follower=trigger.key in folded.followers,
        )
        if not routed:
            waiting.append(trigger.key)
        staged.append(deliveries)
    await write_new(session, staged)
    if folded.groups:
        await catch_up.remember(session, folded)
    if waiting:  # routed by route_waiting() when their pupils arrive
        await session.execute(
            update(Trigger)
            .where(Trigger.key.in_(waiting))
            .values(routed_at=None)
            .execution_options(synchronize_session=False)
        )


def trigger_row(incoming: Incoming) -> TriggerRow:
    return TriggerRow(
        key=incoming.key,
        kind=incoming.kind,
        event_type=incoming.event.type,
        school_urn=incoming.school_urn,
        la_code=incoming.la_code,
        upn=incoming.upn,
        event=incoming.event.structured(),
    )


async def insert_triggers(
    session: AsyncSession, triggers: Sequence[TriggerRow], now: dt.datetime
) -> set[str]:
    """Insert the triggers, routed at `now`, in one statement; the keys of those that were new
    (the others were recorded before and are left as they are)."""
    if not triggers:
        return set()
    # `received_at` keeps their order a microsecond apart: route_waiting() routes in that order.
    rows = [
        {
            "key": t.key,
            "kind": t.kind,
            "event_type": t.event_type,
            "school_urn": t.school_urn,
            "la_code": t.la_code,
            "upn": t.upn,
            "event": t.event,
            "received_at": now + dt.timedelta(microseconds=n),
            "routed_at": now,
        }
        for n, t in enumerate(triggers)
    ]
    await session.flush()  # the ORM's pending rows first: this goes round it
    return set(await upsert_rows(session, Trigger, rows, key=("key",), returning="key"))


async def routes_for(session: AsyncSession, school_urn: str, la_code: str | None) -> routing.Routes:
    """The routes in force; the overrides are read once per transaction (one consumed batch)."""
    scopes: dict[str, Any] | None = session.info.get("notify_scopes")
    if scopes is None:
        scopes = await stored_settings(session, RoutingScope)
        session.info["notify_scopes"] = scopes
    return routing.resolve(scopes, school_urn, la_code)


def needs_child(trigger: TriggerRow, wanted: Mapping[str, list[str]]) -> bool:
    """Whether routing needs the pupil's people (a cleared alert only ever goes to the LA)."""
    return trigger.event_type != AlertCleared.event_type and bool(
        wanted.get("parents") or wanted.get("social_worker")
    )


async def stage(
    session: AsyncSession,
    new: NewDeliveries,
    wanted: Mapping[str, list[str]],
    child: Child | None,
    reported: bool = False,
    *,
    dates: Sequence[str] = (),
    follower: bool = False,
) -> bool:
    """Stage the trigger's deliveries; False while people wait for their pupil's event (`child`
    None where `needs_child`). `reported`: the parents already told the school (family_reports).

    Routing (`wanted`) chooses the built-in channels; an LA's own webhook subscriptions get every
    event they asked for (event types and alert types), whatever the routing says.

    A catch-up folds (catch_up.py): the lead's message lists `dates`; a `follower`'s people get
    nothing of their own (the lead's message speaks for it)."""
    await to_local_authority(session, new)
    if not needs_child(new.trigger, wanted):
        return True
    if child is None:
        return False
    if follower:
        return True
    if wanted.get("parents"):
        to_parents(new, child, wanted["parents"], reported=reported, dates=dates)
    if wanted.get("social_worker"):
        to_social_worker(new, child, dates=dates)
    return True


async def route(
    session: AsyncSession, trigger: TriggerRow, now: dt.datetime, folded: catch_up.Folding | None = None
) -> bool:
    """Create the deliveries the trigger does not have yet; False while people wait for its pupil.
    `folded`: how the triggers routed with it fold (catch_up.py)."""
    wanted = (await routes_for(session, trigger.school_urn, trigger.la_code)).get(trigger.kind, {})
    child = await child_of(session, trigger) if needs_child(trigger, wanted) else None
    new = NewDeliveries(trigger, now)
    reported = trigger.key in await family_reports.covered(session, [trigger])
    folded = folded or catch_up.Folding()
    routed = await stage(
        session,
        new,
        wanted,
        child,
        reported,
        dates=folded.dates_of(trigger.key),
        follower=trigger.key in folded.followers,
    )
    await new.write(session, fresh=False)
    return routed


async def route_waiting(session: AsyncSession, school_urn: str, upn: str, now: dt.datetime) -> None:
    """Route triggers that arrived before their pupil's event (the topics are not ordered together)."""
    waiting = await session.execute(
        select(*_TRIGGER_COLUMNS)
        .where(
            Trigger.school_urn == school_urn,
            Trigger.upn == upn,
            Trigger.routed_at.is_(None),
            Trigger.cleared_at.is_(None),
        )
        .order_by(Trigger.received_at, Trigger.key)
    )
    pending = [TriggerRow(**row._mapping) for row in waiting]
    reported = await family_reports.covered(session, pending) if pending else set()
    folded = await catch_up.folding(session, pending, today_in_london(now), unfolded=reported)
    routed = [trigger.key for trigger in pending if await route(session, trigger, now, folded)]
    if pending:
        await catch_up.remember(session, folded, keys=[trigger.key for trigger in pending])
    if routed:
        await session.execute(
            update(Trigger)
            .where(Trigger.key.in_(routed))
            .values(routed_at=now)
            .execution_options(synchronize_session=False)
        )


_TRIGGER_COLUMNS = (
    Trigger.key,
    Trigger.kind,
    Trigger.event_type,
    Trigger.school_urn,
    Trigger.la_code,
    Trigger.upn,
    Trigger.event,
)


def to_parents(
    new: NewDeliveries,
    child: Child,
    channels: list[str],
    *,
    reported: bool = False,
    dates: Sequence[str] = (),
) -> None:
    """Every contact with parental responsibility, in priority order: the app feed and email where
    they have an address, SMS where they have a phone. When the parents have already reported the
    absence, each is recorded `skipped` (`reported_by_parent`) instead of sent. `dates`: a folded
    catch-up's (catch_up.py), listed in one message."""
    trigger = new.trigger
    base = {**context(trigger, child, new.now), "dates": list(dates)}
    variant = catch_up.VARIANT if dates else None
    for parent in child.parents:
        text = templates.render(
            "parents", trigger.kind, {**base, "parent_name": parent.name}, variant=variant
        )
        if reported:
            family_reports.record_not_sent(new, parent, channels, text)
            continue
        if parent.email and "app" in channels:
            new.add_to_feed(email=parent.email, name=parent.name, title=text.title, body=text.body)
        for channel, address in (("email", parent.email), ("sms", parent.phone)):
            if not (address and channel in channels):
                continue
            body = text.body
            if channel == "sms":  # the SMS's own, shorter text (the title stays the message's subject)
                body = templates.render(
                    "parents", trigger.kind, {**base, "parent_name": parent.name}, sms=True, variant=variant
                ).body
            new.to_parent(parent.name, address, channel, text.title, body)


def to_social_worker(new: NewDeliveries, child: Child, *, dates: Sequence[str] = ()) -> None:
    """The pupil's social worker by email; one named without an email is recorded `skipped`. A
    pupil with no social worker on record has no recipient, so no row (nothing was dropped)."""
    email = child.social_worker_email
    if not email and not child.social_worker_name:
        return
    variant = catch_up.VARIANT if dates else None
    text = templates.render(
        "social_worker",
        new.trigger.kind,
        {**context(new.trigger, child, new.now), "dates": list(dates)},
        variant=variant,
    )
    new.add(
        recipient_kind="social_worker",
        recipient_name=child.social_worker_name,
        address=email or "-",
        channel="email",
        subject=text.title,
        body=text.body,
        status="pending" if email else "skipped",
        error=None if email else "the pupil has no social worker email on record",
    )


async def to_local_authority(session: AsyncSession, new: NewDeliveries) -> None:
    """A webhook per subscription of the pupil's LA that asked for this event (and alert type),
    carrying what that LA may be told about that pupil (la_events.py)."""
    trigger = new.trigger
    if trigger.la_code is None:
        return
    body: str | None = None
    for subscription in await subscriptions_of(session, trigger.la_code):
        if not wants(subscription, trigger):
            continue
        if body is None:
            event = outward_event(trigger.event, trigger.school_urn, trigger.upn)
            if event is None:
                return
            body = json.dumps(event, separators=(",", ":"))
        new.add(
            recipient_kind="local_authority",
            address=subscription.url,
            channel="webhook",
            subscription_id=subscription.id,
            subject=trigger.event_type,
            body=body,
        )


async def subscriptions_of(session: AsyncSession, la_code: str) -> list[Any]:
    """The LA's webhook subscriptions, oldest first; read once per transaction (one consumed batch)."""
    known: dict[str, list[Any]] = session.info.setdefault("notify_subscriptions", {})
    if la_code not in known:
        rows = await session.execute(
            select(Subscription.id, Subscription.url, Subscription.event_types, Subscription.alert_types)
            .where(Subscription.la_code == la_code)
            .order_by(Subscription.created_at)
        )
        known[la_code] = list(rows)
    return known[la_code]


def wants(subscription: Any, trigger: TriggerRow) -> bool:
    """Whether the subscription asked for this event: its type, and for an alert event its alert
    type (no `alert_types` stored: every alert type)."""
    if trigger.event_type not in subscription.event_types:
        return False
    is_alert = trigger.event_type.startswith("attendance.alert.")
    return not (is_alert and subscription.alert_types and trigger.kind not in subscription.alert_types)


async def clear_alert(session: AsyncSession, alert_id: str, reason: str | None, now: dt.datetime) -> None:
    """The alert stopped holding: unsent messages about it are not sent; feed messages are resolved."""
    await clear_alerts(session, {alert_id: reason}, now)


async def clear_alerts(session: AsyncSession, reasons: Mapping[str, str | None], now: dt.datetime) -> None:
    """`clear_alert` for each alert id (-> the reason it cleared), in a few statements for them all."""
    found = await session.execute(
        update(Trigger)
        .where(Trigger.key.in_([f"alert:{alert_id}" for alert_id in reasons]))
        .values(cleared_at=now)
        .returning(Trigger.key)
        .execution_options(synchronize_session=False)
    )
    keys = set(found.scalars())
    if not keys:
        return
    # A folded catch-up message (catch_up.py) stands while any alert of its batch is open.
    held, let_go = await catch_up.clearing(session, keys)
    by_reason: dict[str | None, list[str]] = {}
    for alert_id, reason in reasons.items():
        if f"alert:{alert_id}" in keys - held:
            by_reason.setdefault(reason, []).append(f"alert:{alert_id}")
    for lead, by in let_go.items():
        by_reason.setdefault(reasons.get(by.removeprefix("alert:")), []).append(lead)
    keys = (keys - held) | set(let_go)
    for reason, cleared in by_reason.items():
        skipped = await session.execute(
            update(Delivery)
            .where(
                Delivery.trigger_key.in_(cleared), Delivery.status == "pending", Delivery.channel != "webhook"
            )
            .values(
                status="skipped",
                error=f"not sent: the alert cleared first ({reason or 'no longer holds'})"[:2000],
                next_attempt_at=None,
            )
            .returning(Delivery.channel)
            .execution_options(synchronize_session=False)
        )
        for channel in skipped.scalars().all():
            count_on_commit(session.sync_session, NOTIFICATIONS, channel, "skipped")
    await session.execute(
        update(Message)
        .where(Message.trigger_key.in_(keys), Message.resolved_at.is_(None))
        .values(resolved_at=now)
        .execution_options(synchronize_session=False)
    )
