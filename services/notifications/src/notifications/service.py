"""Staff and LA use cases: the delivery log and the routing in force per scope."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common import scopes
from attendance_common.audit import note_pupils
from attendance_common.auth import Principal
from attendance_common.copying import copy_as
from attendance_common.errors import Unprocessable
from attendance_common.pagination import keyset_page
from attendance_common.reach import school_and_upn
from notifications import access
from notifications.delivery import routing
from notifications.models import Delivery, RoutingScope, School
from notifications.schemas import NotificationOut, NotificationsOut, Recipient, RoutingIn, RoutingOut


def notification_out(delivery: Delivery, principal: Principal) -> NotificationOut:
    address = delivery.address
    if delivery.channel == "webhook":
        address = access.shown_url(address, principal, delivery.la_code)
    return copy_as(
        NotificationOut,
        delivery,
        recipient=Recipient(kind=delivery.recipient_kind, address=address, name=delivery.recipient_name),
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
    query = access.scoped(select(Delivery), principal)
    query = school_and_upn(query, principal, (Delivery.school_urn, Delivery.upn), school, upn)
    if channel:
        query = query.where(Delivery.channel == channel)
    if status:
        query = query.where(Delivery.status == status)
    page, cursor = await keyset_page(session, query, (Delivery.seq,), limit=limit, after=after)
    note_pupils((d.school_urn, d.upn) for d in page)
    return NotificationsOut(notifications=[notification_out(d, principal) for d in page], next=cursor)


async def get_routing(session: AsyncSession, principal: Principal, school: str | None) -> RoutingOut:
    """Who is told what on which channel at `school` and the scopes it comes from, or the default."""
    access.ensure_reader(principal, "routing")
    return _routing_out(
        await scopes.read_in_force(
            session,
            principal,
            RoutingScope,
            school,
            lambda urn: scopes.readable_school(session, principal, School, urn, "routing"),
        )
    )


def _routing_out(found: scopes.InForce) -> RoutingOut:
    """What applies at the scope (most specific wins), and the stored scopes it is resolved from."""
    routes = routing.resolve(found.stored, found.urn, found.la_code)
    return RoutingOut(scope=found.scope, routes=routes, scopes=found.shown)


async def put_routing(
    session: AsyncSession, principal: Principal, scope: str, body: RoutingIn
) -> tuple[RoutingOut, bool]:
    """Override routing at `default` (admins), `la:{code}` (its officers) or `school:{urn}` (its staff
    and its trust's and LA's officers). Answers what now applies at that scope."""
    school_la = await scopes.writable(session, principal, scope, School, "routing")
    try:
        routes = routing.check(body.routes)
    except ValueError as error:
        raise Unprocessable("bad_route", str(error)) from error
    scopes.ensure_statutory_kept(scope, routing.statutory_switched_off(routes))
    found, created = await scopes.put_settings(session, RoutingScope, scope, routes, principal.sub, school_la)
    return _routing_out(found), created
