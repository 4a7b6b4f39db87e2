"""Staff and LA use cases: the delivery log and the routing in force per scope."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common import scopes
from attendance_common.audit import note_pupils
from attendance_common.auth import Principal, Role
from attendance_common.clock import now_utc
from attendance_common.errors import BadRequest, Forbidden, Unprocessable
from attendance_common.pagination import decode_cursor, encode_cursor
from notifications import routing
from notifications.models import Delivery, RoutingScope, School
from notifications.schemas import NotificationOut, NotificationsOut, Recipient, RoutingIn, RoutingOut
from notifications.webhook_urls import shown_url

_READERS = (Role.ADMIN, Role.SCHOOL_STAFF, Role.LA_OFFICER)


def scoped(query: Select[Any], principal: Principal) -> Select[Any]:
    """Only deliveries about pupils of the caller's schools (staff) or LA (officers)."""
    if principal.role not in _READERS:
        raise Forbidden("forbidden_role", f"role {principal.role} cannot read the notification log")
    if principal.role == Role.SCHOOL_STAFF:
        return query.where(Delivery.school_urn.in_(sorted(principal.schools)))
    if principal.role == Role.LA_OFFICER:
        return query.where(Delivery.la_code == principal.la)
    return query


def notification_out(delivery: Delivery, principal: Principal) -> NotificationOut:
    address = delivery.address
    if delivery.channel == "webhook":
        address = shown_url(address, principal, delivery.la_code)
    return NotificationOut(
        id=delivery.id,
        upn=delivery.upn,
        school_urn=delivery.school_urn,
        trigger=delivery.trigger,
        recipient=Recipient(kind=delivery.recipient_kind, address=address, name=delivery.recipient_name),
        channel=delivery.channel,
        status=delivery.status,
        attempts=delivery.attempts,
        created_at=delivery.created_at,
        sent_at=delivery.sent_at,
        error=delivery.error,
        next_attempt_at=delivery.next_attempt_at if delivery.status == "pending" else None,
    )


async def list_notifications(
    session: AsyncSession,
    principal: Principal,
    *,
    school: str | None,
    upn: str | None,
    channel: str | None,
    status: str | None,
    limit: int,
    after: str | None,
) -> NotificationsOut:
    """The delivery log in the caller's scope, oldest first (creation order)."""
    query = scoped(select(Delivery), principal)
    if school:
        if principal.role == Role.SCHOOL_STAFF and school not in principal.schools:
            raise Forbidden("forbidden_school", f"this token may not read school {school}")
        query = query.where(Delivery.school_urn == school)
    if upn:
        query = query.where(Delivery.upn == upn.strip().upper())
    if channel:
        query = query.where(Delivery.channel == channel)
    if status:
        query = query.where(Delivery.status == status)
    if after:
        query = query.where(Delivery.seq > _seq_position(after))
    rows = list(await session.scalars(query.order_by(Delivery.seq).limit(limit + 1)))
    page = rows[:limit]
    cursor = encode_cursor(page[-1].seq) if len(rows) > limit else None
    note_pupils((d.school_urn, d.upn) for d in page)
    return NotificationsOut(notifications=[notification_out(d, principal) for d in page], next=cursor)


def _seq_position(after: str) -> int:
    values = decode_cursor(after)
    if len(values) != 1 or not isinstance(values[0], int) or isinstance(values[0], bool):
        raise BadRequest("bad_cursor", "`after` is not a cursor this service gave out")
    return int(values[0])


async def get_routing(session: AsyncSession, principal: Principal, school: str | None) -> RoutingOut:
    if principal.role not in _READERS:
        raise Forbidden("forbidden_role", f"role {principal.role} cannot read routing")
    stored = {row.scope: row.routes for row in await session.scalars(select(RoutingScope))}
    if school is None:
        shown = stored if principal.is_admin else {k: v for k, v in stored.items() if k == "default"}
        return RoutingOut(scope="default", routes=routing.resolve(stored, "", None), scopes=shown)
    la_code = await session.scalar(select(School.la_code).where(School.urn == school))
    scopes.ensure_may_read_school(principal, school, la_code, "routing")
    return _in_force(stored, school, la_code, f"school:{school}")


def _in_force(stored: dict[str, dict[str, Any]], urn: str, la_code: str | None, scope: str) -> RoutingOut:
    relevant = {k: v for k, v in stored.items() if k in ("default", f"la:{la_code}", f"school:{urn}")}
    return RoutingOut(scope=scope, routes=routing.resolve(stored, urn, la_code), scopes=relevant)


async def put_routing(
    session: AsyncSession, principal: Principal, scope: str, body: RoutingIn
) -> tuple[RoutingOut, bool]:
    """Override routing at `default` (admins), `la:{code}` (its officers) or `school:{urn}` (its staff
    and its LA's officers). Answers what now applies at that scope."""
    urn = scopes.school_of(scopes.checked(scope)) or ""
    school_la = await session.scalar(select(School.la_code).where(School.urn == urn)) if urn else None
    scopes.ensure_may_write(principal, scope, school_la, "routing")
    try:
        routes = routing.check(body.routes)
    except ValueError as error:
        raise Unprocessable("bad_route", str(error)) from error
    scopes.ensure_statutory_kept(scope, routing.statutory_switched_off(routes))
    row = await session.get(RoutingScope, scope)
    created = row is None
    if row is None:
        row = RoutingScope(scope=scope)
        session.add(row)
    row.routes, row.updated_at, row.updated_by = routes, now_utc(), principal.sub
    stored = {r.scope: r.routes for r in await session.scalars(select(RoutingScope)) if r.scope != scope}
    stored[scope] = routes
    la_code = scope.removeprefix("la:") if scope.startswith("la:") else school_la
    return _in_force(stored, urn, la_code, scope), created
