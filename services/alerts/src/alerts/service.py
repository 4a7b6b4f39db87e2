"""Alerts use cases: listing within the caller's scope, acknowledging, and the rules per scope."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from alerts import rules
from alerts.models import Alert, Pupil, RuleScope, School
from alerts.schemas import AlertOut, AlertsOut, RulesIn, RulesOut
from attendance_common import scopes
from attendance_common.audit import note_pupil, note_pupils
from attendance_common.auth import Principal, Role
from attendance_common.clock import now_utc
from attendance_common.errors import BadRequest, Forbidden, NotFound, Unprocessable
from attendance_common.pagination import decode_cursor, encode_cursor

_READERS = (Role.ADMIN, Role.SCHOOL_STAFF, Role.LA_OFFICER, Role.SOCIAL_WORKER)


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
        if principal.role == Role.SCHOOL_STAFF and school not in principal.schools:
            raise Forbidden("forbidden_school", f"this token may not read school {school}")
        query = query.where(Alert.school_urn == school)
    if upn:
        query = query.where(Alert.upn == upn.strip().upper())
    if kind:
        query = query.where(Alert.type == kind)
    if status != "all":
        query = query.where(Alert.status == status)
    if after:
        at, last_id = _position(after)
        query = query.where(or_(Alert.raised_at > at, and_(Alert.raised_at == at, Alert.id > last_id)))
    rows = list(await session.scalars(query.order_by(Alert.raised_at, Alert.id).limit(limit + 1)))
    page = rows[:limit]
    cursor = encode_cursor(page[-1].raised_at.isoformat(), page[-1].id) if len(rows) > limit else None
    note_pupils((a.school_urn, a.upn) for a in page)
    return AlertsOut(alerts=[alert_out(a) for a in page], next=cursor)


def _position(after: str) -> tuple[dt.datetime, str]:
    """The (raised_at, id) a `next` cursor points after; 400 `bad_cursor` for anything else."""
    values = decode_cursor(after)
    try:
        raised, last_id = values
        at = dt.datetime.fromisoformat(raised)
    except (TypeError, ValueError) as error:
        raise BadRequest("bad_cursor", "`after` is not a cursor this service gave out") from error
    if at.tzinfo is None or not isinstance(last_id, str):
        raise BadRequest("bad_cursor", "`after` is not a cursor this service gave out")
    return at, last_id


async def get_alert(session: AsyncSession, principal: Principal, alert_id: str) -> Alert:
    """The alert, or 404 when it does not exist or is outside the caller's scope."""
    alert = await session.scalar(scoped(select(Alert), principal).where(Alert.id == alert_id))
    if alert is None:
        raise NotFound("unknown_alert", f"no alert {alert_id}")
    note_pupil(alert.upn, alert.school_urn)
    return alert


async def acknowledge(session: AsyncSession, principal: Principal, alert_id: str, note: str | None) -> Alert:
    """Staff and LA officers act on alerts; a social worker reads them (api.md "Auth")."""
    if principal.role == Role.SOCIAL_WORKER:
        raise Forbidden("forbidden_role", "a social worker may read alerts, not acknowledge them")
    alert = await get_alert(session, principal, alert_id)
    alert.acknowledged_at, alert.acknowledged_by, alert.acknowledgement_note = now_utc(), principal.sub, note
    return alert


async def get_rules(session: AsyncSession, principal: Principal, school: str | None) -> RulesOut:
    if principal.role not in _READERS:
        raise Forbidden("forbidden_role", f"role {principal.role} cannot read rules")
    stored = {row.scope: row.settings for row in await session.scalars(select(RuleScope))}
    if school is None:
        # Other schools' and LAs' overrides are theirs to see: the default scope for everyone else.
        shown = stored if principal.is_admin else {k: v for k, v in stored.items() if k == "default"}
        return RulesOut(scope="default", thresholds=rules.resolve(stored, "", None).as_json(), scopes=shown)
    await _ensure_may_read_school(session, principal, school)
    return await _in_force(session, stored, f"school:{school}")


async def _ensure_may_read_school(session: AsyncSession, principal: Principal, urn: str) -> None:
    """A school's overrides: its staff, its LA's officer, admins, and the social worker of a pupil there."""
    if principal.role == Role.SOCIAL_WORKER:
        theirs = await session.scalar(
            select(Pupil.id)
            .where(Pupil.school_urn == urn, Pupil.social_worker_email == principal.email)
            .limit(1)
        )
        if theirs is not None:
            return
    school_la = await session.scalar(select(School.la_code).where(School.urn == urn))
    scopes.ensure_may_read_school(principal, urn, school_la, "rules")


async def _in_force(session: AsyncSession, stored: dict[str, dict[str, Any]], scope: str) -> RulesOut:
    """What applies at `scope` (most specific wins), and the stored scopes it is resolved from."""
    urn, la_code = "", None
    if scope.startswith("school:"):
        urn = scope.removeprefix("school:")
        la_code = await session.scalar(select(School.la_code).where(School.urn == urn))
    elif scope.startswith("la:"):
        la_code = scope.removeprefix("la:")
    relevant = {k: v for k, v in stored.items() if k in ("default", f"la:{la_code}", f"school:{urn}")}
    return RulesOut(scope=scope, thresholds=rules.resolve(stored, urn, la_code).as_json(), scopes=relevant)


_RATES = ("persistent_rate", "persistent_clear_below", "severe_rate", "severe_clear_below")


async def put_rules(
    session: AsyncSession, principal: Principal, scope: str, body: RulesIn
) -> tuple[RulesOut, bool]:
    """Set a scope's thresholds: admins any, LA officers their LA and its schools, staff their school."""
    urn = scopes.school_of(scopes.checked(scope))
    school_la = await session.scalar(select(School.la_code).where(School.urn == urn)) if urn else None
    scopes.ensure_may_write(principal, scope, school_la, "rules")
    settings = body.model_dump(exclude_none=True)
    unknown = set(settings.get("enabled", [])) - set(rules.ALERT_TYPES)
    if unknown:
        raise Unprocessable("unknown_alert_type", f"unknown alert types: {sorted(unknown)}")
    if "enabled" in settings:
        scopes.ensure_statutory_kept(scope, set(rules.STATUTORY_TYPES) - set(settings["enabled"]))
    try:
        merged = rules.merge(rules.DEFAULT, settings)
    except (ValueError, ZeroDivisionError) as error:
        raise Unprocessable("bad_threshold", str(error)) from error
    # api.md conventions: rates are fractions 0..1.
    out_of_range = [name for name in _RATES if name in settings and not 0 <= getattr(merged, name) <= 1]
    if out_of_range:
        raise Unprocessable("bad_threshold", f"rates are fractions from 0 to 1: {out_of_range}")
    for rate, clear in (("persistent_rate", "persistent_clear_below"), ("severe_rate", "severe_clear_below")):
        if getattr(merged, clear) > getattr(merged, rate):
            # A clear level above the opening rate would open and clear the alert on alternate marks.
            raise Unprocessable("bad_threshold", f"{clear} must not be above {rate}")
    row = await session.get(RuleScope, scope)
    created = row is None
    if row is None:
        row = RuleScope(scope=scope)
        session.add(row)
    row.settings, row.updated_at, row.updated_by = settings, now_utc(), principal.sub
    # The answer is what now applies at this scope, less specific scopes included (as GET says).
    stored = {r.scope: r.settings for r in await session.scalars(select(RuleScope)) if r.scope != scope}
    return await _in_force(session, {**stored, scope: settings}, scope), created
