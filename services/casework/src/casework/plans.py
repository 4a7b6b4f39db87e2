"""Plans on a family's case (api.md Part 2): each change written with its event on `attendance.cases`.

Use cases (service.py) check who may and what is asked; this module writes. The events carry the
lead's name, role and organisation but never the lead's email or any note.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.clock import now_utc, today_in_london
from attendance_common.events import casework as events
from casework.cases import Actor, add_case_event
from casework.models import Alert, Case, CasePupil, Plan, PlanReview
from casework.plan_rules import ACTIVE, ENDED, JOINT_PLAN


async def agree(
    session: AsyncSession,
    case: Case,
    *,
    kind: str,
    lead: dict[str, Any],
    targets: list[dict[str, Any]],
    review_on: dt.date,
    agreed_with_family: bool,
    by: Actor,
) -> Plan:
    """Start a plan on the case."""
    now = now_utc()
    plan = Plan(
        id=str(uuid.uuid4()),
        case_id=case.id,
        kind=kind,
        status=ACTIVE,
        lead=lead,
        targets=targets,
        review_on=review_on,
        agreed_with_family=agreed_with_family,
        started_on=today_in_london(now),
        created_at=now,
        created_by=by.sub,
    )
    session.add(plan)
    await session.flush()
    await add_case_event(
        session,
        case,
        events.PlanAgreed,
        **_about(plan),
        lead=events.PlanLead(name=lead["name"], role=lead["role"], organisation=lead.get("organisation")),
        targets=[events.PlanTarget.model_validate(t) for t in targets],
        review_on=review_on,
        agreed_with_family=agreed_with_family,
        agreed_at=now,
        by=by.sub,
    )
    return plan


async def review(
    session: AsyncSession,
    case: Case,
    plan: Plan,
    *,
    held_on: dt.date,
    progress: str,
    next_review_on: dt.date,
    note: str | None,
    by: Actor,
) -> PlanReview:
    """Record a review; the plan's next review moves on to `next_review_on`."""
    now = now_utc()
    entry = PlanReview(
        id=str(uuid.uuid4()),
        plan_id=plan.id,
        case_id=case.id,
        held_on=held_on,
        progress=progress,
        next_review_on=next_review_on,
        note=note,
        recorded_at=now,
        recorded_by=by.sub,
    )
    plan.review_on = next_review_on
    session.add(entry)
    await session.flush()
    await add_case_event(
        session,
        case,
        events.PlanReviewed,
        **_about(plan),
        review_id=entry.id,
        held_on=held_on,
        progress=progress,
        review_on=next_review_on,
        reviewed_at=now,
        by=by.sub,
    )
    return entry


async def end(
    session: AsyncSession, case: Case, plan: Plan, *, outcome: str, note: str | None, by: Actor
) -> None:
    now = now_utc()
    plan.status, plan.ended_at, plan.ended_by = ENDED, now, by.sub
    plan.outcome, plan.end_note = outcome, note
    await session.flush()
    await add_case_event(
        session, case, events.PlanEnded, **_about(plan), outcome=outcome, ended_at=now, by=by.sub
    )


async def end_active(session: AsyncSession, case: Case, *, outcome: str, by: Actor) -> None:
    """End the case's active plans (the case is closing: no plan outlives it)."""
    for plan in list(
        await session.scalars(select(Plan).where(Plan.case_id == case.id, Plan.status == ACTIVE))
    ):
        await end(session, case, plan, outcome=outcome, note="the case was closed", by=by)


def _about(plan: Plan) -> dict[str, Any]:
    return {"plan_id": plan.id, "kind": plan.kind}


def review_overdue(today: dt.date) -> ColumnElement[bool]:
    """Cases with an active plan whose review date is before today."""
    return exists().where(Plan.case_id == Case.id, Plan.status == ACTIVE, Plan.review_on < today)


def missing_joint_plan() -> ColumnElement[bool]:
    """Cases with a pupil whose severe-absence alert is open and no active joint school-LA plan."""
    severe = exists().where(
        CasePupil.case_id == Case.id,
        Alert.school_urn == CasePupil.school_urn,
        Alert.upn == CasePupil.upn,
        Alert.type == "severe_absence",
        Alert.status == "open",
    )
    joint = exists().where(Plan.case_id == Case.id, Plan.status == ACTIVE, Plan.kind == JOINT_PLAN)
    return and_(severe, ~joint)
