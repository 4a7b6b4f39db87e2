"""Alerts use cases: listing within the caller's scope, acknowledging, and the rules per scope."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from alerts import access, rules
from alerts.models import Alert, RuleScope, School
from alerts.schemas import AlertOut, AlertsOut, RulesIn, RulesOut
from attendance_common import scopes
from attendance_common.audit import note_pupil, note_pupils
from attendance_common.auth import Principal
from attendance_common.clock import now_utc
from attendance_common.errors import NotFound, Unprocessable
from attendance_common.pagination import keyset_page
from attendance_common.reach import school_and_upn


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
    query = access.scoped(select(Alert), principal)
    query = school_and_upn(query, principal, (Alert.school_urn, Alert.upn), school, upn)
    if kind:
        query = query.where(Alert.type == kind)
    if status != "all":
        query = query.where(Alert.status == status)
    page, cursor = await keyset_page(session, query, (Alert.raised_at, Alert.id), limit=limit, after=after)
    note_pupils((a.school_urn, a.upn) for a in page)
    return AlertsOut(alerts=[alert_out(a) for a in page], next=cursor)


async def get_alert(session: AsyncSession, principal: Principal, alert_id: str) -> Alert:
    """The alert, or 404 when it does not exist or is outside the caller's scope."""
    alert = await session.scalar(access.scoped(select(Alert), principal).where(Alert.id == alert_id))
    if alert is None:
        raise NotFound("unknown_alert", f"no alert {alert_id}")
    note_pupil(alert.upn, alert.school_urn)
    return alert


async def acknowledge(session: AsyncSession, principal: Principal, alert_id: str, note: str | None) -> Alert:
    """Record who saw the alert and what they did (the alert stays open while it holds). Once only:
    acknowledging it again answers the first acknowledgement, unchanged (a retry is harmless)."""
    access.ensure_may_acknowledge(principal)
    alert = await get_alert(session, principal, alert_id)
    if alert.acknowledged_at is not None:
        return alert
    alert.acknowledged_at, alert.acknowledged_by, alert.acknowledgement_note = now_utc(), principal.sub, note
    return alert


async def get_rules(session: AsyncSession, principal: Principal, school: str | None) -> RulesOut:
    """The thresholds in force at `school` and the scopes they come from, or the default ones."""
    access.ensure_reader(principal, "rules")
    return _rules_out(
        await scopes.read_in_force(
            session,
            principal,
            RuleScope,
            school,
            lambda urn: access.ensure_may_read_school_rules(session, principal, urn),
        )
    )


def _rules_out(found: scopes.InForce) -> RulesOut:
    """What applies at the scope (most specific wins), and the stored scopes it is resolved from."""
    thresholds = rules.resolve(found.stored, found.urn, found.la_code).as_json()
    return RulesOut(scope=found.scope, thresholds=thresholds, scopes=found.shown)


_RATES = (
    "persistent_rate",
    "persistent_clear_below",
    "severe_rate",
    "severe_clear_below",
    "emerging_rate",
    "emerging_clear_rate",
)


async def put_rules(
    session: AsyncSession, principal: Principal, scope: str, body: RulesIn
) -> tuple[RulesOut, bool]:
    """Set a scope's thresholds: admins any, LA officers their LA and its schools, staff their school.
    Answers what now applies at that scope, less specific scopes included (as GET says)."""
    school_la = await scopes.writable(session, principal, scope, School, "rules")
    settings = body.model_dump(exclude_none=True)
    _check(scope, settings)
    found, created = await scopes.put_settings(session, RuleScope, scope, settings, principal.sub, school_la)
    return _rules_out(found), created


def _check(scope: str, settings: scopes.Settings) -> None:
    """422 for unknown alert types and thresholds out of range; 403 for statutory types switched off
    at a school."""
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
    for rate, clear in (
        ("persistent_rate", "persistent_clear_below"),
        ("severe_rate", "severe_clear_below"),
        ("emerging_rate", "emerging_clear_rate"),
    ):
        if getattr(merged, clear) > getattr(merged, rate):
            # A clear level above the opening rate would open and clear the alert on alternate marks.
            raise Unprocessable("bad_threshold", f"{clear} must not be above {rate}")
