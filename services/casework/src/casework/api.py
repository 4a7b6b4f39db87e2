"""Casework routes (api.md "Casework"): parse, authorise, call the use case, render."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Response
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.auth import CurrentPrincipal
from attendance_common.db import DatabaseDep, SessionDep
from attendance_common.events.casework import Stage
from attendance_common.pagination import After, Limit
from casework import legal, service
from casework.access import get_case
from casework.render import legal_action_out, render_case
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
    StageIn,
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
    limit: Limit = 100,
    after: After = None,
):
    """Cases in the caller's scope, oldest first; `next` is the cursor for the following page."""
    return await service.list_cases(
        session, principal, school=school, upn=upn, status=status, stage=stage, limit=limit, after=after
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

    rendered, opened = await database.retrying(work)
    response.status_code = 201 if opened else 200
    return rendered


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
