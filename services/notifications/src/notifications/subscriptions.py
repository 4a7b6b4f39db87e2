"""LA webhook subscriptions: create (with a Standard Webhooks secret), list, delete."""

from __future__ import annotations

import asyncio
import base64
import secrets
import uuid

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.auth import Principal
from attendance_common.clock import now_utc
from attendance_common.errors import NotFound, Unprocessable
from attendance_common.events.alerts import ALERT_TYPES
from attendance_common.pagination import keyset_page
from notifications import access
from notifications.delivery.deliveries import mark_skipped
from notifications.delivery.la_events import EVENT_TYPES
from notifications.delivery.webhook_urls import check_url
from notifications.models import Delivery, Subscription
from notifications.schemas import SubscriptionCreated, SubscriptionIn, SubscriptionOut, SubscriptionsOut


def subscription_out(row: Subscription, principal: Principal) -> SubscriptionOut:
    out = SubscriptionOut.model_validate(row, from_attributes=True)
    return out.model_copy(
        update={
            "url": access.shown_url(row.url, principal, row.la_code),
            "alert_types": effective_alert_types(row.event_types, row.alert_types),
        }
    )


def effective_alert_types(event_types: list[str], alert_types: list[str]) -> list[str]:
    """The alert types the subscription is sent: none without an alert event type; else those it
    chose, or every alert type when it chose none (stored empty, so types added later are sent too)."""
    if not any(event_type.startswith("attendance.alert.") for event_type in event_types):
        return []
    return list(alert_types) or list(ALERT_TYPES)


async def create_subscription(
    session: AsyncSession,
    principal: Principal,
    body: SubscriptionIn,
    *,
    production: bool,
    allow_private: bool,
) -> SubscriptionCreated:
    la_code = access.subscription_la(principal, body.la_code)
    await asyncio.to_thread(check_url, body.url, production=production, allow_private=allow_private)
    unknown = sorted(set(body.event_types) - set(EVENT_TYPES))
    if unknown:
        raise Unprocessable(
            "unsupported_event_type", f"cannot send {unknown} by webhook; choose from {list(EVENT_TYPES)}"
        )
    unknown = sorted(set(body.alert_types or []) - set(ALERT_TYPES))
    if unknown:
        raise Unprocessable("unknown_alert_type", f"unknown alert types: {unknown}")
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    row = Subscription(
        id=str(uuid.uuid4()),
        la_code=la_code,
        url=body.url,
        secret=secret,
        event_types=list(dict.fromkeys(body.event_types)),
        alert_types=list(dict.fromkeys(body.alert_types or [])),
        created_at=now_utc(),
        created_by=principal.sub,
    )
    session.add(row)
    return SubscriptionCreated(**subscription_out(row, principal).model_dump(), secret=secret)


async def list_subscriptions(
    session: AsyncSession, principal: Principal, *, limit: int, after: str | None
) -> SubscriptionsOut:
    query = select(Subscription).where(*access.own_subscriptions(principal))
    keys = (Subscription.created_at, Subscription.id)
    page, cursor = await keyset_page(session, query, keys, limit=limit, after=after)
    return SubscriptionsOut(subscriptions=[subscription_out(r, principal) for r in page], next=cursor)


async def delete_subscription(session: AsyncSession, principal: Principal, subscription_id: str) -> None:
    """Remove it; its unsent deliveries are skipped (the dispatcher finds no subscription)."""
    row = await session.scalar(
        select(Subscription).where(Subscription.id == subscription_id, *access.own_subscriptions(principal))
    )
    if row is None:
        raise NotFound("unknown_subscription", f"no subscription {subscription_id}")
    await session.execute(delete(Subscription).where(Subscription.id == row.id))
    pending = await session.scalars(
        select(Delivery).where(Delivery.subscription_id == row.id, Delivery.status == "pending")
    )
    for delivery in pending:
        mark_skipped(delivery, "the webhook subscription was deleted")
