"""Families' plans (api.md Part 2): notifications' own projection of the plan events on
`attendance.cases`, and the parent app's `GET /v1/parent/plans`.

A parent sees the active plans of every case that holds one of their children (a contact with
parental responsibility and the token's email), one row per plan and child; the lead's email and
every note stay in casework.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.audit import note_pupils
from attendance_common.auth import Principal
from attendance_common.bulk import upsert_rows
from attendance_common.clock import today_in_london
from attendance_common.events.casework import CasePupil, PlanAgreed, PlanEnded, PlanReviewed
from notifications import access
from notifications.models import FamilyPlan, FamilyPlanPupil
from notifications.schemas import ParentPlanOut, ParentPlansOut, PlanLeadOut

PlanEvent = PlanAgreed | PlanReviewed | PlanEnded


async def apply_plan(session: AsyncSession, data: PlanEvent) -> None:
    """Keep the plan as its latest event says (the events of one family arrive in order)."""
    if isinstance(data, PlanAgreed):
        row = {
            "plan_id": data.plan_id,
            "case_id": data.case_id,
            "kind": data.kind,
            "status": "active",
            "lead_name": data.lead.name,
            "lead_role": data.lead.role,
            "targets": [t.model_dump(mode="json") for t in data.targets],
            "review_on": data.review_on,
            "agreed_at": data.agreed_at,
        }
        await upsert_rows(session, FamilyPlan, [row], key=("plan_id",))
    elif await session.get(FamilyPlan, data.plan_id) is None:
        return  # a review or end of a plan whose start this projection never saw: nothing to show
    elif isinstance(data, PlanReviewed):
        await session.execute(
            update(FamilyPlan).where(FamilyPlan.plan_id == data.plan_id).values(review_on=data.review_on)
        )
    else:
        # An ended plan is no longer shown to anyone: the projection keeps active plans only.
        await session.execute(delete(FamilyPlanPupil).where(FamilyPlanPupil.plan_id == data.plan_id))
        await session.execute(delete(FamilyPlan).where(FamilyPlan.plan_id == data.plan_id))
        return
    await _family(session, data.plan_id, data.pupils)


async def _family(session: AsyncSession, plan_id: str, pupils: Sequence[CasePupil]) -> None:
    """The plan's pupils: the family as the event names it (a sibling may have joined or left)."""
    await session.execute(delete(FamilyPlanPupil).where(FamilyPlanPupil.plan_id == plan_id))
    rows = [{"plan_id": plan_id, "school_urn": p.school_urn, "upn": p.upn} for p in pupils]
    if rows:
        await upsert_rows(session, FamilyPlanPupil, rows, key=("plan_id", "school_urn", "upn"))


async def list_plans(session: AsyncSession, principal: Principal) -> ParentPlansOut:
    """The active plans of the parent's children, by next review date."""
    children = access.own_children(principal, today_in_london()).subquery()
    rows = await session.execute(
        select(FamilyPlan, FamilyPlanPupil.school_urn, FamilyPlanPupil.upn)
        .join(FamilyPlanPupil, FamilyPlanPupil.plan_id == FamilyPlan.plan_id)
        .join(
            children,
            (children.c.school_urn == FamilyPlanPupil.school_urn) & (children.c.upn == FamilyPlanPupil.upn),
        )
        .where(FamilyPlan.status == "active")
        .order_by(FamilyPlan.review_on, FamilyPlan.plan_id, FamilyPlanPupil.upn)
    )
    found = list(rows)
    note_pupils((urn, upn) for _, urn, upn in found)
    return ParentPlansOut(
        plans=[
            ParentPlanOut(
                id=plan.plan_id,
                upn=upn,
                school_urn=urn,
                kind=plan.kind,
                lead=PlanLeadOut(name=plan.lead_name, role=plan.lead_role),
                targets=plan.targets,
                review_on=plan.review_on,
            )
            for plan, urn, upn in found
        ]
    )
