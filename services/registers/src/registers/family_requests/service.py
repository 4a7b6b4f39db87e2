"""Families' requests, the use cases people call: submit, list, decide, withdraw.

Each authorises through `access`, then ends in its aggregate (`absence_reports`, `leave_requests`),
which writes the change with its event. Nothing here commits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.audit import note_pupils
from attendance_common.auth import Principal
from attendance_common.clock import today_in_london
from attendance_common.errors import Unprocessable
from attendance_common.pagination import keyset_page
from registers.family_requests import absence_reports, access, leave_requests, lifecycle
from registers.family_requests.lifecycle import Request
from registers.family_requests.render import leave_out, report_out
from registers.family_requests.schemas import (
    LeaveDecisionIn,
    LeaveIn,
    LeaveOut,
    LeavesOut,
    ReportDecisionIn,
    ReportIn,
    ReportOut,
    ReportsOut,
)
from registers.models import AbsenceReport, LeaveRequest


@dataclass(frozen=True)
class Filters:
    """A list's filters (api.md): status, one pupil, and the dates a request must overlap."""

    status: str | None = None
    upn: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    limit: int = 100
    after: str | None = None


async def submit_report(
    session: AsyncSession, principal: Principal, urn: str, upn: str, body: ReportIn
) -> ReportOut:
    school, pupil = await access.pupil_to_submit_for(session, principal, urn, upn)
    report = await absence_reports.submit(
        session, school=school, pupil=pupil, data=body, by=principal, today=today_in_london()
    )
    return report_out(report)


async def submit_leave(
    session: AsyncSession, principal: Principal, urn: str, upn: str, body: LeaveIn
) -> LeaveOut:
    school, pupil = await access.pupil_to_submit_for(session, principal, urn, upn)
    leave = await leave_requests.submit(
        session, school=school, pupil=pupil, data=body, by=principal, today=today_in_london()
    )
    return leave_out(leave)


async def list_reports(
    session: AsyncSession, principal: Principal, urn: str, filters: Filters, *, upn: str | None = None
) -> ReportsOut:
    """A school's reports, or one pupil's (`upn`), newest first."""
    query = await _scoped(session, principal, urn, upn, AbsenceReport)
    rows, cursor = await _page(session, query, AbsenceReport, filters)
    return ReportsOut(absence_reports=[report_out(row) for row in rows], next=cursor)


async def list_leave(
    session: AsyncSession, principal: Principal, urn: str, filters: Filters, *, upn: str | None = None
) -> LeavesOut:
    """A school's leave requests, or one pupil's (`upn`), newest first."""
    query = await _scoped(session, principal, urn, upn, LeaveRequest)
    rows, cursor = await _page(session, query, LeaveRequest, filters)
    return LeavesOut(leave_requests=[leave_out(row) for row in rows], next=cursor)


async def decide_report(
    session: AsyncSession, principal: Principal, urn: str, report_id: str, body: ReportDecisionIn
) -> ReportOut:
    return report_out(await _decide(session, principal, urn, absence_reports.KIND, report_id, body))


async def decide_leave(
    session: AsyncSession, principal: Principal, urn: str, request_id: str, body: LeaveDecisionIn
) -> LeaveOut:
    return leave_out(await _decide(session, principal, urn, leave_requests.KIND, request_id, body))


async def withdraw_report(session: AsyncSession, principal: Principal, urn: str, report_id: str) -> ReportOut:
    return report_out(await _withdraw(session, principal, urn, absence_reports.KIND, report_id))


async def withdraw_leave(session: AsyncSession, principal: Principal, urn: str, request_id: str) -> LeaveOut:
    return leave_out(await _withdraw(session, principal, urn, leave_requests.KIND, request_id))


async def _decide(
    session: AsyncSession,
    principal: Principal,
    urn: str,
    kind: lifecycle.Kind[Request],
    request_id: str,
    body: ReportDecisionIn | LeaveDecisionIn,
) -> Request:
    school, request = await access.to_decide(session, principal, urn, kind.model, request_id)
    outcome, note = body.decision, body.note
    await lifecycle.decide(session, request, kind, school=school, outcome=outcome, note=note, by=principal)
    return request


async def _withdraw(
    session: AsyncSession, principal: Principal, urn: str, kind: lifecycle.Kind[Request], request_id: str
) -> Request:
    school, request = await access.to_withdraw(session, principal, urn, kind.model, request_id)
    await lifecycle.withdraw(session, request, kind, school=school, by=principal)
    return request


async def _scoped(
    session: AsyncSession,
    principal: Principal,
    urn: str,
    upn: str | None,
    model: type[AbsenceReport | LeaveRequest],
) -> Select[Any]:
    if upn is None:
        school = await access.school_to_list(session, principal, urn)
        return select(model).where(model.school_urn == school.urn)
    _, pupil = await access.pupil_to_list(session, principal, urn, upn)
    return select(model).where(model.pupil_id == pupil.id)


async def _page(
    session: AsyncSession, query: Select[Any], model: type[AbsenceReport | LeaveRequest], filters: Filters
) -> tuple[list[Any], str | None]:
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
