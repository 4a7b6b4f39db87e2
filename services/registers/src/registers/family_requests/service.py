"""Families' requests, the use cases people call: submit, list, decide, withdraw.

Each authorises through `access`, then ends in its aggregate (`absence_reports`, `leave_requests`),
which writes the change with its event. Nothing here commits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.audit import note_pupils
from attendance_common.auth import Principal
from attendance_common.clock import today_in_london
from attendance_common.errors import BadRequest, Unprocessable
from attendance_common.pagination import decode_cursor, encode_cursor
from registers.family_requests import absence_reports, access, leave_requests
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
    school, report = await access.to_decide(session, principal, urn, AbsenceReport, report_id)
    await absence_reports.decide(
        session, report, school=school, outcome=body.decision, note=body.note, by=principal
    )
    return report_out(report)


async def withdraw_report(session: AsyncSession, principal: Principal, urn: str, report_id: str) -> ReportOut:
    school, report = await access.to_withdraw(session, principal, urn, AbsenceReport, report_id)
    await absence_reports.withdraw(session, report, school=school, by=principal)
    return report_out(report)


async def decide_leave(
    session: AsyncSession, principal: Principal, urn: str, request_id: str, body: LeaveDecisionIn
) -> LeaveOut:
    school, leave = await access.to_decide(session, principal, urn, LeaveRequest, request_id)
    await leave_requests.decide(
        session, leave, school=school, outcome=body.decision, note=body.note, by=principal
    )
    return leave_out(leave)


async def withdraw_leave(session: AsyncSession, principal: Principal, urn: str, request_id: str) -> LeaveOut:
    school, leave = await access.to_withdraw(session, principal, urn, LeaveRequest, request_id)
    await leave_requests.withdraw(session, leave, school=school, by=principal)
    return leave_out(leave)


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
    if filters.after:
        at, last_id = _position(filters.after)
        query = query.where(or_(model.submitted_at < at, and_(model.submitted_at == at, model.id < last_id)))
    order = (model.submitted_at.desc(), model.id.desc())
    rows = list(await session.scalars(query.order_by(*order).limit(filters.limit + 1)))
    page = rows[: filters.limit]
    note_pupils((row.school_urn, row.upn) for row in page)  # who saw which pupil: the audit log
    more = len(rows) > filters.limit
    return page, encode_cursor(page[-1].submitted_at.isoformat(), page[-1].id) if more else None


def _position(after: str) -> tuple[dt.datetime, str]:
    """The (submitted_at, id) a `next` cursor points after; 400 `bad_cursor` for anything else."""
    try:
        submitted, last_id = decode_cursor(after)
        at = dt.datetime.fromisoformat(submitted)
    except (TypeError, ValueError) as error:
        raise BadRequest("bad_cursor", "`after` is not a cursor this service gave out") from error
    if at.tzinfo is None or not isinstance(last_id, str):
        raise BadRequest("bad_cursor", "`after` is not a cursor this service gave out")
    return at, last_id
