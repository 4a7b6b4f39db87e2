"""Casework use cases for people: listing, opening, moving between stages, recording, closing."""

from __future__ import annotations

import uuid
from typing import TypeVar

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.auth import Principal
from attendance_common.clock import now_utc, today_in_london
from attendance_common.errors import Conflict, Forbidden, NotFound, Unprocessable
from attendance_common.identifiers import compact_upn
from attendance_common.pagination import keyset_page
from attendance_common.reach import ensure_named_school
from casework import cases, meeting_rules, plan_rules, plans, support_meetings
from casework.access import (
    check_meeting_reach,
    check_role,
    get_case,
    may_act_on,
    meetings_scope,
    school_la,
    scoped,
)
from casework.models import Action, Barrier, Case, CasePupil, Plan, Pupil, SupportMeeting
from casework.render import render_cases
from casework.schemas import (
    ActionIn,
    BarrierIn,
    CasesOut,
    CloseIn,
    OpenIn,
    PackOut,
    PlanEndIn,
    PlanIn,
    PlanReviewIn,
    StageIn,
    SupportMeetingIn,
)

_Recorded = TypeVar("_Recorded", Barrier, Action)


async def list_cases(
    session: AsyncSession,
    principal: Principal,
    *,
    school: str | None,
    upn: str | None,
    status: str | None,
    stage: str | None,
    limit: int,
    after: str | None,
    review_overdue: bool = False,
    missing_joint_plan: bool = False,
) -> CasesOut:
    """Cases in the caller's scope, oldest first, filtered by a family member's school or UPN."""
    query = scoped(select(Case), principal)
    if school:
        ensure_named_school(principal, school)
        query = query.where(exists().where(CasePupil.case_id == Case.id, CasePupil.school_urn == school))
    if upn:
        query = query.where(exists().where(CasePupil.case_id == Case.id, CasePupil.upn == compact_upn(upn)))
    if status:
        query = query.where(Case.status == status)
    if stage:
        query = query.where(Case.stage == stage)
    if review_overdue:  # api.md Part 2: both filters are about open cases
        query = query.where(Case.status == "open", plans.review_overdue(today_in_london()))
    if missing_joint_plan:
        query = query.where(Case.status == "open", plans.missing_joint_plan())
    page, cursor = await keyset_page(session, query, (Case.opened_at, Case.id), limit=limit, after=after)
    return CasesOut(cases=await render_cases(session, page), next=cursor)


async def open_case(session: AsyncSession, principal: Principal, body: OpenIn) -> tuple[Case, bool]:
    """Open the family's case by hand, or join its open one; True when a case was opened."""
    check_role(principal)
    pupils: list[Pupil] = []
    for ref in body.pupils:
        pupil = await session.scalar(
            select(Pupil).where(Pupil.school_urn == ref.school_urn.strip(), Pupil.upn == compact_upn(ref.upn))
        )
        if pupil is None:
            raise Unprocessable("unknown_pupil", f"no pupil {ref.upn} at school {ref.school_urn}")
        if not await may_act_on(session, principal, pupil):
            raise Forbidden(
                "forbidden_school", f"this token may not act for pupils of school {pupil.school_urn}"
            )
        pupils.append(pupil)
    families = {pupil.family_key for pupil in pupils}
    if len(families) > 1:
        raise Unprocessable(
            "pupils_in_different_families",
            "the pupils do not share a priority-1 parent's email: open one case per family",
        )
    (family,) = families
    existing = await cases.open_case_of(session, family)
    if existing is not None:
        return existing, False
    return await cases.open_case(
        session, family, stage=body.stage, reason=body.reason, by=cases.Actor.of(principal)
    ), True


async def open_for_work(session: AsyncSession, principal: Principal, case_id: str) -> Case:
    """The case, which must still be open to change (409 `case_closed`)."""
    case = await get_case(session, principal, case_id)
    if case.status != "open":
        raise Conflict("case_closed", f"case {case_id} is closed")
    return case


async def change_stage(session: AsyncSession, principal: Principal, case_id: str, body: StageIn) -> Case:
    """People move a case to any stage, forwards or back, with a reason the history keeps."""
    case = await open_for_work(session, principal, case_id)
    if case.stage == body.stage:
        raise Conflict("stage_unchanged", f"case {case_id} is already at stage {body.stage}")
    await cases.change_stage(session, case, body.stage, reason=body.reason, by=cases.Actor.of(principal))
    return case


async def add_barrier(session: AsyncSession, principal: Principal, case_id: str, body: BarrierIn) -> Barrier:
    return await _add_to_case(session, principal, case_id, Barrier, body, stamp="recorded")


async def add_action(session: AsyncSession, principal: Principal, case_id: str, body: ActionIn) -> Action:
    return await _add_to_case(session, principal, case_id, Action, body, stamp="created")


async def _add_to_case(
    session: AsyncSession,
    principal: Principal,
    case_id: str,
    model: type[_Recorded],
    body: BarrierIn | ActionIn,
    *,
    stamp: str,
) -> _Recorded:
    """A barrier or action on an open case, as the body says; `stamp` names its when-and-who
    columns (`recorded_at`/`recorded_by` on a barrier, `created_at`/`created_by` on an action)."""
    case = await open_for_work(session, principal, case_id)
    row = model(
        id=str(uuid.uuid4()),
        case_id=case.id,
        **body.model_dump(),
        **{f"{stamp}_at": now_utc(), f"{stamp}_by": principal.sub},
    )
    session.add(row)
    await session.flush()
    return row


async def close_case(session: AsyncSession, principal: Principal, case_id: str, body: CloseIn) -> Case:
    case = await open_for_work(session, principal, case_id)
    # The case outcomes are plan outcomes too: its active plans end with it.
    await plans.end_active(session, case, outcome=body.outcome, by=cases.Actor.of(principal))
    await cases.close(session, case, outcome=body.outcome, note=body.note, by=cases.Actor.of(principal))
    return case


async def create_plan(session: AsyncSession, principal: Principal, case_id: str, body: PlanIn) -> Plan:
    """Start a plan on an open case: one lead practitioner, targets and a first review date."""
    case = await open_for_work(session, principal, case_id)  # who may, before what is asked
    kind = plan_rules.check_kind(body.kind)
    plan_rules.check_first_review(body.review_on, today_in_london())
    return await plans.agree(
        session,
        case,
        kind=kind,
        lead=body.lead.model_dump(mode="json"),
        targets=[t.model_dump(mode="json") for t in body.targets],
        review_on=body.review_on,
        agreed_with_family=body.agreed_with_family,
        by=cases.Actor.of(principal),
    )


async def review_plan(
    session: AsyncSession, principal: Principal, case_id: str, plan_id: str, body: PlanReviewIn
) -> Plan:
    """Record a review of an active plan; its next review date moves on."""
    case, plan = await _plan_of(session, principal, case_id, plan_id)
    progress = plan_rules.check_progress(body.progress)
    plan_rules.check_active(plan.status, plan.id)
    plan_rules.check_review(
        body.held_on, body.next_review_on, started_on=plan.started_on, today=today_in_london()
    )
    await plans.review(
        session,
        case,
        plan,
        held_on=body.held_on,
        progress=progress,
        next_review_on=body.next_review_on,
        note=body.note,
        by=cases.Actor.of(principal),
    )
    return plan


async def end_plan(
    session: AsyncSession, principal: Principal, case_id: str, plan_id: str, body: PlanEndIn
) -> Plan:
    case, plan = await _plan_of(session, principal, case_id, plan_id)
    outcome = plan_rules.check_outcome(body.outcome)
    plan_rules.check_active(plan.status, plan.id)
    await plans.end(session, case, plan, outcome=outcome, note=body.note, by=cases.Actor.of(principal))
    return plan


async def _plan_of(
    session: AsyncSession, principal: Principal, case_id: str, plan_id: str
) -> tuple[Case, Plan]:
    case = await open_for_work(session, principal, case_id)
    plan = await session.scalar(select(Plan).where(Plan.id == plan_id, Plan.case_id == case.id))
    if plan is None:
        raise NotFound("unknown_plan", f"case {case_id} has no plan {plan_id}")
    return case, plan


async def support_meeting_pack(
    session: AsyncSession, principal: Principal, la_code: str, school: str
) -> PackOut:
    """The pack for a targeting support meeting of the LA with one of its schools."""
    await check_meeting_reach(session, principal, la_code, school)
    meeting_rules.check_school_in_la(school, await school_la(session, school), la_code)
    return await support_meetings.pack(session, school)


async def record_support_meeting(
    session: AsyncSession, principal: Principal, la_code: str, body: SupportMeetingIn
) -> SupportMeeting:
    """Record a meeting held; what it agreed becomes actions on the cases it names."""
    await check_meeting_reach(session, principal, la_code, body.school_urn)
    meeting_rules.check_school_in_la(body.school_urn, await school_la(session, body.school_urn), la_code)
    meeting_rules.check_held_on(body.held_on, today_in_london())
    found = await support_meetings.check_agreed(session, body.school_urn, body.agreed)
    return await support_meetings.record(session, la_code, body, found, by=cases.Actor.of(principal))


async def list_support_meetings(
    session: AsyncSession,
    principal: Principal,
    la_code: str,
    *,
    school: str | None,
    limit: int,
    after: str | None,
) -> tuple[list[SupportMeeting], str | None]:
    """The LA's meetings (a school's, with `school`), latest recorded first."""
    await check_meeting_reach(session, principal, la_code, school)
    if school:
        meeting_rules.check_school_in_la(school, await school_la(session, school), la_code)
    query = select(SupportMeeting).where(SupportMeeting.la_code == la_code)
    if school:
        query = query.where(SupportMeeting.school_urn == school)
    scope = meetings_scope(principal)
    if scope is not None:
        query = query.where(scope)
    keys = (SupportMeeting.recorded_at, SupportMeeting.id)
    return await keyset_page(session, query, keys, limit=limit, after=after, descending=True)
