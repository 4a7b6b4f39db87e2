"""Notifications routes (api.md "Notifications"): parse, authorise, call the use case, render."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from attendance_common.auth import CurrentPrincipal, Principal, Role, require_roles
from attendance_common.db import SessionDep
from attendance_common.pagination import After, Limit
from attendance_common.web import app_settings, made_or_found
from notifications import family_plans, parents, service, subscriptions
from notifications.etag import conditional
from notifications.schemas import (
    Channel,
    ChildAttendance,
    ChildrenOut,
    MessagesOut,
    NotificationsOut,
    ParentPlansOut,
    RoutingIn,
    RoutingOut,
    Status,
    SubscriptionCreated,
    SubscriptionIn,
    SubscriptionsOut,
)
from notifications.settings import Settings

router = APIRouter(prefix="/v1", tags=["notifications"])
SettingsDep = Annotated[Settings, Depends(app_settings)]
Parent = Annotated[Principal, Depends(require_roles(Role.PARENT))]
Officer = Annotated[Principal, Depends(require_roles(Role.LA_OFFICER))]
_CACHED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified (the `If-None-Match` ETag still holds)"}
}


@router.get("/parent/children", response_model=ChildrenOut, responses=_CACHED)
async def parent_children(request: Request, session: SessionDep, principal: Parent) -> Response:
    """The caller's children: pupils with a contact with parental responsibility and the token's email."""
    return conditional(request, await parents.list_children(session, principal))


@router.get("/parent/children/{upn}/attendance", response_model=ChildAttendance, responses=_CACHED)
async def parent_child_attendance(
    upn: str,
    request: Request,
    session: SessionDep,
    principal: Parent,
    from_: Annotated[dt.date | None, Query(alias="from")] = None,
    to: dt.date | None = None,
    school: str | None = None,
) -> Response:
    """The child's attendance summary for the period and the marks of the last 10 school days."""
    out = await parents.child_attendance(session, principal, upn, school=school, start=from_, end=to)
    return conditional(request, out)


@router.get("/parent/messages", response_model=MessagesOut, responses=_CACHED)
async def parent_messages(
    request: Request, session: SessionDep, principal: Parent, limit: Limit = 100, after: After = None
) -> Response:
    """The caller's message feed, newest first; pass `next` back as `after` for older ones."""
    return conditional(request, await parents.list_messages(session, principal, limit=limit, after=after))


@router.get("/parent/plans", response_model=ParentPlansOut, responses=_CACHED)
async def parent_plans(request: Request, session: SessionDep, principal: Parent) -> Response:
    """The active plans of the caller's children's families: kind, lead, targets, next review."""
    return conditional(request, await family_plans.list_plans(session, principal))


@router.get("/notifications", response_model=NotificationsOut)
async def list_notifications(
    session: SessionDep,
    principal: CurrentPrincipal,
    school: str | None = None,
    upn: str | None = None,
    channel: Channel | None = None,
    status: Status | None = None,
    limit: Limit = 100,
    after: After = None,
):
    """Every message and its delivery (status, attempts, error), for staff, LA officers and admins."""
    return await service.list_notifications(
        session, principal, school=school, upn=upn, channel=channel, status=status, limit=limit, after=after
    )


@router.post("/subscriptions", response_model=SubscriptionCreated, status_code=201)
async def create_subscription(
    body: SubscriptionIn, settings: SettingsDep, session: SessionDep, principal: Officer
):
    """A webhook for the LA's pupils' events; the answer holds the signing secret, shown only once."""
    return await subscriptions.create_subscription(
        session,
        principal,
        body,
        production=settings.is_production,
        allow_private=settings.webhook_allow_private,
    )


@router.get("/subscriptions", response_model=SubscriptionsOut)
async def list_subscriptions(
    session: SessionDep, principal: Officer, limit: Limit = 100, after: After = None
):
    return await subscriptions.list_subscriptions(session, principal, limit=limit, after=after)


@router.delete("/subscriptions/{subscription_id}", status_code=204)
async def delete_subscription(subscription_id: str, session: SessionDep, principal: Officer) -> Response:
    await subscriptions.delete_subscription(session, principal, subscription_id)
    return Response(status_code=204)


@router.get("/routing", response_model=RoutingOut)
async def get_routing(session: SessionDep, principal: CurrentPrincipal, school: str | None = None):
    """Who is told what on which channel at `school` (most specific scope wins), or the default."""
    return await service.get_routing(session, principal, school)


@router.put("/routing/{scope}", response_model=RoutingOut, responses={201: {"model": RoutingOut}})
async def put_routing(
    scope: str, body: RoutingIn, session: SessionDep, principal: CurrentPrincipal, response: Response
):
    """Override routing for `default`, `la:{code}` or `school:{urn}` (201 created, 200 updated)."""
    return made_or_found(response, await service.put_routing(session, principal, scope, body))
