"""Alerts use cases: listing within the caller's scope, acknowledging, and the rules per scope."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from alerts import rules
from alerts.models import Alert, Pupil, RuleScope, School
from alerts.schemas import AlertOut, AlertsOut, RulesIn, RulesOut
from attendance_common.auth import Principal, Role
from attendance_common.clock import now_utc
from attendance_common.errors import Forbidden, NotFound, Unprocessable
from attendance_common.pagination import decode_cursor, encode_cursor

_READERS = (Role.ADMIN, Role.SCHOOL_STAFF, Role.LA_OFFICER, Role.SOCIAL_WORKER)
_SCOPE = re.compile(r"^(default|la:\d{3}|school:\d{6})$")


def scoped(query: Select[Any], principal: Principal) -> Select[Any]:
    """Only the alerts this principal may see (api.md "Auth")."""
    if principal.role not in _READERS:
        raise Forbidden("forbidden_role", f"role {principal.role} cannot read alerts")
    if principal.role == Role.SCHOOL_STAFF:
        return query.where(Alert.school_urn.in_(sorted(principal.schools)))
    if principal.role == Role.LA_OFFICER:
        return query.where(Alert.la_code == principal.la)
    if principal.role == Role.SOCIAL_WORKER:
        return query.join(Pupil, Pupil.id == Alert.pupil_id).where(
            Pupil.social_worker_email == principal.email
        )
    return query


def alert_out(alert: Alert) -> AlertOut:
    return AlertOut.model_validate(alert, from_attributes=True)


async def list_alerts(
    session: AsyncSession,
    principal: Principal,
    *,
    school: str | None,
    upn: str | None,
    kind: str | None,
    status: str,
    limit: int,
    after: str | None,
) -> AlertsOut:
    query = scoped(select(Alert), principal)
    if school:
        query = query.where(Alert.school_urn == school)
    if upn:
        query = query.where(Alert.upn == upn.strip().upper())
    if kind:
        query = query.where(Alert.type == kind)
    if status != "all":
        query = query.where(Alert.status == status)
    if after:
        raised, last_id = decode_cursor(after)
        at = dt.datetime.fromisoformat(raised)
        query = query.where(or_(Alert.raised_at > at, and_(Alert.raised_at == at, Alert.id > last_id)))
    rows = list(await session.scalars(query.order_by(Alert.raised_at, Alert.id).limit(limit + 1)))
    page = rows[:limit]
    cursor = encode_cursor(page[-1].raised_at.isoformat(), page[-1].id) if len(rows) > limit else None
    return AlertsOut(alerts=[alert_out(a) for a in page], next=cursor)


async def get_alert(session: AsyncSession, principal: Principal, alert_id: str) -> Alert:
    """The alert, or 404 when it does not exist or is outside the caller's scope."""
    alert = await session.scalar(scoped(select(Alert), principal).where(Alert.id == alert_id))
    if alert is None:
        raise NotFound("unknown_alert", f"no alert {alert_id}")
    return alert


async def acknowledge(session: AsyncSession, principal: Principal, alert_id: str, note: str | None) -> Alert:
    alert = await get_alert(session, principal, alert_id)
    alert.acknowledged_at, alert.acknowledged_by, alert.acknowledgement_note = now_utc(), principal.sub, note
    return alert


async def get_rules(session: AsyncSession, principal: Principal, school: str | None) -> RulesOut:
    if principal.role not in _READERS:
        raise Forbidden("forbidden_role", f"role {principal.role} cannot read rules")
    scopes = {row.scope: row.settings for row in await session.scalars(select(RuleScope))}
    if school is None:
        return RulesOut(scope="default", thresholds=rules.resolve(scopes, "", None).as_json(), scopes=scopes)
    la_code = await session.scalar(select(School.la_code).where(School.urn == school))
    relevant = {k: v for k, v in scopes.items() if k in ("default", f"la:{la_code}", f"school:{school}")}
    return RulesOut(
        scope=f"school:{school}", thresholds=rules.resolve(scopes, school, la_code).as_json(), scopes=relevant
    )


async def put_rules(
    session: AsyncSession, principal: Principal, scope: str, body: RulesIn
) -> tuple[RulesOut, bool]:
    """Set a scope's thresholds: admins any scope, LA officers their LA, school staff their school."""
    if not _SCOPE.match(scope):
        raise Unprocessable("bad_scope", "scope must be default, la:{3-digit code} or school:{6-digit URN}")
    allowed = principal.is_admin or (
        (principal.role == Role.LA_OFFICER and scope == f"la:{principal.la}")
        or (principal.role == Role.SCHOOL_STAFF and scope.removeprefix("school:") in principal.schools)
    )
    if not allowed:
        raise Forbidden("forbidden_scope", f"this token may not change the rules of {scope}")
    settings = body.model_dump(exclude_none=True)
    unknown = set(settings.get("enabled", [])) - set(rules.ALERT_TYPES)
    if unknown:
        raise Unprocessable("unknown_alert_type", f"unknown alert types: {sorted(unknown)}")
    try:
        rules.merge(rules.DEFAULT, settings)
    except (ValueError, ZeroDivisionError) as error:
        raise Unprocessable("bad_threshold", str(error)) from error
    row = await session.get(RuleScope, scope)
    created = row is None
    if row is None:
        row = RuleScope(scope=scope)
        session.add(row)
    row.settings, row.updated_at, row.updated_by = settings, now_utc(), principal.sub
    return RulesOut(
        scope=scope, thresholds=rules.merge(rules.DEFAULT, settings).as_json(), scopes={scope: settings}
    ), created
