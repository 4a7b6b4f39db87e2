"""Casework routes (api.md "Casework"): parse, authorise, call the use case, render."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Response
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.auth import CurrentPrincipal, Principal, require_roles
from attendance_common.db import DatabaseDep, SessionDep
from attendance_common.events.casework import Stage
from attendance_common.pagination import After, Limit
from attendance_common.web import NowDep, made_or_found
from casework import legal, plan_reminders, service
from casework.access import get_case
from casework.render import legal_action_out, render_case, render_plan
from casework.schemas import (
    ActionIn,
    ActionOut,
    BarrierIn,
    BarrierOut,
    CaseOut,
    CasesOut,
    CloseIn,
    LegalActionIn,
    LegalActionOut,
    OpenIn,
    PackOut,
    PlanEndIn,
    PlanIn,
    PlanOut,
    PlanReviewIn,
    PlanReviewRemindersOut,
    StageIn,
    SupportMeetingIn,
    SupportMeetingOut,
    SupportMeetingsOut,
    WithdrawIn,
)

router = APIRouter(prefix="/v1", tags=["casework"])


@router.get("/cases", response_model=CasesOut)
async def list_cases(
    session: SessionDep,
    principal: CurrentPrincipal,
    school: str | None = None,
    upn: str | None = None,
    status: Literal["open", "closed"] | None = None,
    stage: Stage | None = None,
    review_overdue: bool = False,
    missing_joint_plan: bool = False,
    limit: Limit = 100,
    after: After = None,
):
    """Cases in the caller's scope, oldest first; `next` is the cursor for the following page.

    `review_overdue=true`: open cases with an active plan whose review date is before today;
    `missing_joint_plan=true`: open cases with a pupil whose severe-absence alert is open and no
    active `joint_school_la` plan.
    """
    return await service.list_cases(
        session,
        principal,
        school=school,
        upn=upn,
        status=status,
        stage=stage,
        limit=limit,
        after=after,
        review_overdue=review_overdue,
        missing_joint_plan=missing_joint_plan,
    )


@router.post("/cases", response_model=CaseOut, status_code=201, responses={200: {"model": CaseOut}})
async def open_case(body: OpenIn, database: DatabaseDep, principal: CurrentPrincipal, response: Response):
    """Open the family's case (201), or answer its open case when it has one (200).

    If the worker opens the family's case at the same moment, the one-open-case index refuses
    this insert: the transaction runs again and finds that case.
    """

    async def work(session: AsyncSession) -> tuple[CaseOut, bool]:
        case, opened = await service.open_case(session, principal, body)
        return await render_case(session, case), opened

    return made_or_found(response, await database.retrying(work))


@router.get("/cases/{case_id}", response_model=CaseOut)
async def get_case_route(case_id: str, session: SessionDep, principal: CurrentPrincipal):
    return await render_case(session, await get_case(session, principal, case_id))


@router.post("/cases/{case_id}/stage", response_model=CaseOut)
async def change_stage(case_id: str, body: StageIn, session: SessionDep, principal: CurrentPrincipal):
    """Move the case to any stage, forwards or back; the history keeps who, when and why."""
    return await render_case(session, await service.change_stage(session, principal, case_id, body))


@router.post("/cases/{case_id}/barriers", response_model=BarrierOut, status_code=201)
async def add_barrier(case_id: str, body: BarrierIn, session: SessionDep, principal: CurrentPrincipal):
    barrier = await service.add_barrier(session, principal, case_id, body)
    return BarrierOut.model_validate(barrier, from_attributes=True)


@router.post("/cases/{case_id}/actions", response_model=ActionOut, status_code=201)
async def add_action(case_id: str, body: ActionIn, session: SessionDep, principal: CurrentPrincipal):
    action = await service.add_action(session, principal, case_id, body)
    return ActionOut.model_validate(action, from_attributes=True)


@router.post("/cases/{case_id}/close", response_model=CaseOut)
async def close_case(case_id: str, body: CloseIn, session: SessionDep, principal: CurrentPrincipal):
    return await render_case(session, await service.close_case(session, principal, case_id, body))


@router.post("/cases/{case_id}/legal-actions", response_model=LegalActionOut, status_code=201)
async def record_legal_action(
    case_id: str, body: LegalActionIn, session: SessionDep, principal: CurrentPrincipal
):
    """Record a legal action; where the national framework refuses it, the problem code names the rule."""
    return legal_action_out(await legal.record_legal_action(session, principal, case_id, body))


@router.post("/cases/{case_id}/legal-actions/{action_id}/withdraw", response_model=LegalActionOut)
async def withdraw_legal_action(
    case_id: str, action_id: str, body: WithdrawIn, session: SessionDep, principal: CurrentPrincipal
):
    """Withdraw a legal action; withdrawn penalty notices do not count towards the limits."""
    return legal_action_out(await legal.withdraw_legal_action(session, principal, case_id, action_id, body))


@router.post("/cases/{case_id}/plans", response_model=PlanOut, status_code=201)
async def create_plan(case_id: str, body: PlanIn, session: SessionDep, principal: CurrentPrincipal):
    """Start a plan on the case (`attendance.plan.agreed`); the parents are told it has started."""
    return await render_plan(session, await service.create_plan(session, principal, case_id, body))


@router.post("/cases/{case_id}/plans/{plan_id}/reviews", response_model=PlanOut, status_code=201)
async def review_plan(
    case_id: str, plan_id: str, body: PlanReviewIn, session: SessionDep, principal: CurrentPrincipal
):
    """Record a review of an active plan; `review_on` moves on to `next_review_on`."""
    return await render_plan(session, await service.review_plan(session, principal, case_id, plan_id, body))


@router.post("/cases/{case_id}/plans/{plan_id}/end", response_model=PlanOut)
async def end_plan(
    case_id: str, plan_id: str, body: PlanEndIn, session: SessionDep, principal: CurrentPrincipal
):
    return await render_plan(session, await service.end_plan(session, principal, case_id, plan_id, body))


@router.get("/las/{la_code}/support-meetings/pack", response_model=PackOut)
async def support_meeting_pack(la_code: str, school: str, session: SessionDep, principal: CurrentPrincipal):
    """Every pupil of the school with an open severe or persistent absence alert, severe first,
    with their open alerts and their family's case and its active plans."""
    return await service.support_meeting_pack(session, principal, la_code, school)


@router.post("/las/{la_code}/support-meetings", response_model=SupportMeetingOut, status_code=201)
async def record_support_meeting(
    la_code: str, body: SupportMeetingIn, session: SessionDep, principal: CurrentPrincipal
):
    """Record a meeting held; each agreed item becomes an action (type `other`) on its case."""
    meeting = await service.record_support_meeting(session, principal, la_code, body)
    return SupportMeetingOut.model_validate(meeting, from_attributes=True)


@router.get("/las/{la_code}/support-meetings", response_model=SupportMeetingsOut)
async def list_support_meetings(
    la_code: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    school: str | None = None,
    limit: Limit = 100,
    after: After = None,
):
    """The LA's meetings, latest recorded first (school staff: their own schools' only)."""
    page, cursor = await service.list_support_meetings(
        session, principal, la_code, school=school, limit=limit, after=after
    )
    return SupportMeetingsOut(
        support_meetings=[SupportMeetingOut.model_validate(m, from_attributes=True) for m in page],
        next=cursor,
    )


@router.post("/jobs/plan-review-reminders", response_model=PlanReviewRemindersOut)
async def run_plan_review_reminders(
    database: DatabaseDep, now: NowDep, _admin: Annotated[Principal, Depends(require_roles())]
):
    """Run now what the worker runs once a day (admin only): each active plan whose review date has
    passed gets one case action reminding of its review, once per plan and review date."""
    done = await plan_reminders.run(database, now)
    return PlanReviewRemindersOut(on=done.on, reminded=done.reminded)
