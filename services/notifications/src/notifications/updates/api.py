"""Routes of keeping parents informed (api.md Part 2): parse, authorise, call the use case, render."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from attendance_common.auth import CurrentPrincipal, Principal, Role, require_roles
from attendance_common.db import SessionDep
from attendance_common.web import NowDep, made_or_found
from notifications.updates import service
from notifications.updates.schemas import (
    PreferencesIn,
    PreferencesOut,
    RunOut,
    ScheduleIn,
    ScheduleOut,
    UpdatesIn,
)

router = APIRouter(prefix="/v1", tags=["keeping parents informed"])
Parent = Annotated[Principal, Depends(require_roles(Role.PARENT))]


Now = NowDep


@router.post(
    "/schools/{urn}/attendance-updates",
    response_model=RunOut,
    status_code=202,
    responses={200: {"model": RunOut, "description": "Sent before for this period: the first answer"}},
)
async def send_attendance_updates(
    urn: str, body: UpdatesIn, session: SessionDep, principal: CurrentPrincipal, now: Now, response: Response
):
    """Send each pupil's attendance update for the period to their parents now (202); the same
    school and period again sends nothing and answers 200 with the first run's body."""
    return made_or_found(response, await service.send_updates(session, principal, urn, body, now), made=202)


@router.get("/schools/{urn}/attendance-updates/schedule", response_model=ScheduleOut)
async def get_update_schedule(urn: str, session: SessionDep, principal: CurrentPrincipal):
    """The school's weekly updates (Europe/London), `off` by default."""
    return await service.get_schedule(session, principal, urn)


@router.put(
    "/schools/{urn}/attendance-updates/schedule",
    response_model=ScheduleOut,
    responses={201: {"model": ScheduleOut}},
)
async def put_update_schedule(
    urn: str, body: ScheduleIn, session: SessionDep, principal: CurrentPrincipal, now: Now, response: Response
):
    """Send the school's updates each week at `weekday` and `time` (Europe/London), or `off`."""
    return made_or_found(response, await service.put_schedule(session, principal, urn, body, now))


@router.get("/parent/preferences", response_model=PreferencesOut)
async def get_parent_preferences(session: SessionDep, principal: Parent):
    """What reaches the parent besides the app: email, SMS, attendance updates (all on by default)."""
    return await service.get_preferences(session, principal)


@router.put("/parent/preferences", response_model=PreferencesOut, responses={201: {"model": PreferencesOut}})
async def put_parent_preferences(
    body: PreferencesIn, session: SessionDep, principal: Parent, now: Now, response: Response
):
    """Turn email, SMS or attendance updates off or on; first-day absence contacts always go out."""
    return made_or_found(response, await service.put_preferences(session, principal, body, now))
