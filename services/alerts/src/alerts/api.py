"""Alerts routes (api.md "Alerts"): parse, authorise, call the use case, render."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Response

from alerts import service
from alerts.schemas import AcknowledgeIn, AlertOut, AlertsOut, RulesIn, RulesOut
from attendance_common.auth import CurrentPrincipal
from attendance_common.db import SessionDep
from attendance_common.pagination import After, Limit
from attendance_common.web import made_or_found

router = APIRouter(prefix="/v1", tags=["alerts"])


@router.get("/alerts", response_model=AlertsOut)
async def list_alerts(
    session: SessionDep,
    principal: CurrentPrincipal,
    school: str | None = None,
    upn: str | None = None,
    type: str | None = None,
    status: Literal["open", "cleared", "all"] = "open",
    limit: Limit = 100,
    after: After = None,
):
    """Alerts in the caller's scope, oldest first; `next` is the cursor for the following page."""
    return await service.list_alerts(
        session, principal, school=school, upn=upn, kind=type, status=status, limit=limit, after=after
    )


@router.get("/alerts/{alert_id}", response_model=AlertOut)
async def get_alert(alert_id: str, session: SessionDep, principal: CurrentPrincipal):
    return service.alert_out(await service.get_alert(session, principal, alert_id))


@router.post("/alerts/{alert_id}/acknowledge", response_model=AlertOut)
async def acknowledge(alert_id: str, body: AcknowledgeIn, session: SessionDep, principal: CurrentPrincipal):
    """Record that someone has seen the alert and what they did (the alert stays open while it holds)."""
    return service.alert_out(await service.acknowledge(session, principal, alert_id, body.note))


@router.get("/rules", response_model=RulesOut)
async def get_rules(session: SessionDep, principal: CurrentPrincipal, school: str | None = None):
    """The thresholds in force for `school` (most specific scope wins), or the default ones."""
    return await service.get_rules(session, principal, school)


@router.put("/rules/{scope}", response_model=RulesOut, responses={201: {"model": RulesOut}})
async def put_rules(
    scope: str, body: RulesIn, session: SessionDep, principal: CurrentPrincipal, response: Response
):
    """Set thresholds and switches for `default`, `la:{code}` or `school:{urn}` (201 created, 200 updated)."""
    return made_or_found(response, await service.put_rules(session, principal, scope, body))
