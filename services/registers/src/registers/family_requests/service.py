"""Families' requests, the use cases people call: submit, list, decide, withdraw.

Each takes the kind of request (`absence_reports.KIND`, `leave_requests.KIND`), authorises through
`access`, then ends in `lifecycle`, which writes the change with its event. Nothing here commits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.audit import note_pupils
from attendance_common.auth import Principal
from attendance_common.clock import today_in_london
from attendance_common.errors import Unprocessable
from attendance_common.pagination import keyset_page
from registers.family_requests import access, lifecycle
from registers.family_requests.lifecycle import Kind, Request
from registers.family_requests.schemas import LeaveDecisionIn, ReportDecisionIn


@dataclass(frozen=True)
class Filters:
    """A list's filters (api.md): status, one pupil, and the dates a request must overlap."""

    status: str | None = None
    upn: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    limit: int = 100
    after: str | None = None


async def submit(
    session: AsyncSession, principal: Principal, kind: Kind[Request], urn: str, upn: str, body: BaseModel
) -> Request:
    """Record a request for a pupil: by a parent for their own child, or by the school for them."""
    school, pupil = await access.pupil_to_submit_for(session, principal, urn, upn)
    today = today_in_london()
    return await lifecycle.submit(
        session, kind, school=school, pupil=pupil, data=body, by=principal, today=today
    )


async def list_requests(
    session: AsyncSession,
    principal: Principal,
    kind: Kind[Request],
    urn: str,
    filters: Filters,
    *,
    upn: str | None = None,
) -> tuple[list[Request], str | None]:
    """A school's requests of one kind, or one pupil's (`upn`), newest first, and the next cursor."""
    query = await _scoped(session, principal, urn, upn, kind.model)
    return await _page(session, query, kind.model, filters)


async def decide(
    session: AsyncSession,
    principal: Principal,
    kind: Kind[Request],
    urn: str,
    request_id: str,
    body: ReportDecisionIn | LeaveDecisionIn,
) -> Request:
    """Accept or decline a report, grant or refuse leave: a request still waiting, once."""
    school, request = await access.to_decide(session, principal, urn, kind.model, request_id)
    outcome, note = body.decision, body.note
    await lifecycle.decide(session, request, kind, school=school, outcome=outcome, note=note, by=principal)
    return request


async def withdraw(
    session: AsyncSession, principal: Principal, kind: Kind[Request], urn: str, request_id: str
) -> Request:
    """Withdraw a request still waiting: the parent who submitted it, or the school's staff."""
    school, request = await access.to_withdraw(session, principal, urn, kind.model, request_id)
    await lifecycle.withdraw(session, request, kind, school=school, by=principal)
    return request


async def _scoped(
    session: AsyncSession,
    principal: Principal,
    urn: str,
    upn: str | None,
    model: type[Request],
) -> Select[Any]:
    if upn is None:
        school = await access.school_to_list(session, principal, urn)
        return select(model).where(model.school_urn == school.urn)
    _, pupil = await access.pupil_to_list(session, principal, urn, upn)
    return select(model).where(model.pupil_id == pupil.id)


async def _page(
    session: AsyncSession, query: Select[Any], model: type[Request], filters: Filters
) -> tuple[list[Request], str | None]:
    """One page, newest first; the cursor is the last row's (submitted_at, id)."""
    if filters.start and filters.end and filters.start > filters.end:
        raise Unprocessable("bad_period", f"from ({filters.start}) is after to ({filters.end})")
    if filters.status:
        query = query.where(model.status == filters.status)
    if filters.upn:
        query = query.where(model.upn == filters.upn.replace(" ", "").upper())
    if filters.start:
        query = query.where(model.last_date >= filters.start)
    if filters.end:
        query = query.where(model.first_date <= filters.end)
    keys = (model.submitted_at, model.id)
    page, cursor = await keyset_page(
        session, query, keys, limit=filters.limit, after=filters.after, descending=True
    )
    note_pupils((row.school_urn, row.upn) for row in page)  # who saw which pupil: the audit log
    return page, cursor
