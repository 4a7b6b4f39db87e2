"""Casework use cases for people: listing, opening, moving between stages, recording, closing."""

from __future__ import annotations

import uuid

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.auth import Principal
from attendance_common.clock import now_utc
from attendance_common.errors import Conflict, Forbidden, Unprocessable
from attendance_common.identifiers import compact_upn
from attendance_common.pagination import keyset_page
from attendance_common.reach import ensure_named_school
from casework import cases
from casework.access import check_role, get_case, may_act_on, scoped
from casework.models import Action, Barrier, Case, CasePupil, Pupil
from casework.render import render_cases
from casework.schemas import ActionIn, BarrierIn, CasesOut, CloseIn, OpenIn, StageIn


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
    case = await open_for_work(session, principal, case_id)
    barrier = Barrier(
        id=str(uuid.uuid4()),
        case_id=case.id,
        category=body.category,
        description=body.description,
        recorded_at=now_utc(),
        recorded_by=principal.sub,
    )
    session.add(barrier)
    await session.flush()
    return barrier


async def add_action(session: AsyncSession, principal: Principal, case_id: str, body: ActionIn) -> Action:
    case = await open_for_work(session, principal, case_id)
    action = Action(
        id=str(uuid.uuid4()),
        case_id=case.id,
        type=body.type,
        due_on=body.due_on,
        notes=body.notes,
        created_at=now_utc(),
        created_by=principal.sub,
    )
    session.add(action)
    await session.flush()
    return action


async def close_case(session: AsyncSession, principal: Principal, case_id: str, body: CloseIn) -> Case:
    case = await open_for_work(session, principal, case_id)
    await cases.close(session, case, outcome=body.outcome, note=body.note, by=cases.Actor.of(principal))
    return case
