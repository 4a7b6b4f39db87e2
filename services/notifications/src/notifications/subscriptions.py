"""LA webhook subscriptions: create (with a Standard Webhooks secret), list, delete."""

from __future__ import annotations

import asyncio
import base64
import secrets
import uuid

from sqlalchemy import ColumnElement, and_, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.auth import Principal, Role
from attendance_common.clock import now_utc
from attendance_common.errors import Forbidden, NotFound, Unprocessable
from attendance_common.events.alerts import ALERT_TYPES
from attendance_common.pagination import encode_cursor
from notifications.cursors import time_id_position
from notifications.deliveries import mark_skipped
from notifications.models import Delivery, Subscription
from notifications.outward import EVENT_TYPES
from notifications.schemas import SubscriptionCreated, SubscriptionIn, SubscriptionOut, SubscriptionsOut
from notifications.webhook_urls import check_url, shown_url


def _la_of(principal: Principal, asked: str | None) -> str:
    if principal.role == Role.LA_OFFICER:
        assert principal.la is not None
        if asked not in (None, principal.la):
            raise Forbidden("forbidden_la", f"this token may not subscribe for LA {asked}")
        return principal.la
    if principal.is_admin:
        if asked is None:
            raise Unprocessable("la_code_required", "an admin must say which LA (`la_code`) this is for")
        return asked
    raise Forbidden("forbidden_role", f"role {principal.role} cannot manage webhook subscriptions")


def subscription_out(row: Subscription, principal: Principal) -> SubscriptionOut:
    out = SubscriptionOut.model_validate(row, from_attributes=True)
    return out.model_copy(update={"url": shown_url(row.url, principal, row.la_code)})


async def create_subscription(
    session: AsyncSession,
    principal: Principal,
    body: SubscriptionIn,
    *,
    production: bool,
    allow_private: bool,
) -> SubscriptionCreated:
    la_code = _la_of(principal, body.la_code)
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


def _mine(principal: Principal) -> list[ColumnElement[bool]]:
    if principal.is_admin:
        return []
    if principal.role == Role.LA_OFFICER:
        return [Subscription.la_code == principal.la]
    raise Forbidden("forbidden_role", f"role {principal.role} cannot manage webhook subscriptions")


async def list_subscriptions(
    session: AsyncSession, principal: Principal, *, limit: int, after: str | None
) -> SubscriptionsOut:
    query = select(Subscription).where(*_mine(principal))
    if after:
        at, last_id = time_id_position(after)
        query = query.where(
            or_(Subscription.created_at > at, and_(Subscription.created_at == at, Subscription.id > last_id))
        )
    rows = list(
        await session.scalars(query.order_by(Subscription.created_at, Subscription.id).limit(limit + 1))
    )
    page = rows[:limit]
    cursor = encode_cursor(page[-1].created_at.isoformat(), page[-1].id) if len(rows) > limit else None
    return SubscriptionsOut(subscriptions=[subscription_out(r, principal) for r in page], next=cursor)


async def delete_subscription(session: AsyncSession, principal: Principal, subscription_id: str) -> None:
    """Remove it; its unsent deliveries are skipped (the dispatcher finds no subscription)."""
    row = await session.scalar(
        select(Subscription).where(Subscription.id == subscription_id, *_mine(principal))
    )
    if row is None:
        raise NotFound("unknown_subscription", f"no subscription {subscription_id}")
    await session.execute(delete(Subscription).where(Subscription.id == row.id))
    pending = await session.scalars(
        select(Delivery).where(Delivery.subscription_id == row.id, Delivery.status == "pending")
    )
    for delivery in pending:
        mark_skipped(delivery, "the webhook subscription was deleted")
