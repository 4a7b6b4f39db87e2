"""Routes for families' requests (api.md "Families report absences", "Families ask for leave"):
parse, authorise and call the use case (service), render."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.auth import CurrentPrincipal, Principal
from attendance_common.db import Database, DatabaseDep, SessionDep
from attendance_common.errors import Unprocessable
from attendance_common.idempotent_writes import no_check, request_key, write_once
from attendance_common.identifiers import IdentifierError, validate_upn, validate_urn
from attendance_common.pagination import After, Limit
from registers.family_requests import service
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

router = APIRouter(prefix="/v1/schools", tags=["families"])
FromDate = Annotated[dt.date | None, Query(alias="from", description="keep those overlapping from this date")]
ToDate = Annotated[dt.date | None, Query(alias="to", description="keep those overlapping up to this date")]
Upn = Annotated[str | None, Query(max_length=20)]
IdempotencyKey = Annotated[str | None, Header(max_length=200)]
ReportStatus = Literal["submitted", "accepted", "declined", "withdrawn"]
LeaveStatus = Literal["pending", "granted", "refused", "withdrawn"]


def _ids(urn: str, upn: str | None = None) -> tuple[str, str]:
    try:
        return validate_urn(urn), validate_upn(upn) if upn is not None else ""
    except IdentifierError as error:
        raise Unprocessable(error.error_code, error.message) from error


async def _submitted_once(
    request: Request,
    database: Database,
    principal: Principal,
    body: BaseModel,
    idempotency_key: str | None,
    submit: Callable[[AsyncSession], Awaitable[BaseModel]],
) -> JSONResponse:
    """201 with the new request; with an `Idempotency-Key`, a retry answers the first response and the
    same key with another body is 422 `idempotency_key_reused` (as marks, api.md "Registers")."""
    key = request_key(
        idempotency_key, principal.sub, request.url.path, lambda: body.model_dump_json().encode()
    )
    answer = await write_once(
        database,
        key,
        no_check,  # the use case authorises
        lambda session, _: submit(session),
        render=lambda submitted: submitted.model_dump(mode="json"),
        status_code=201,
    )
    return JSONResponse(answer.body, status_code=answer.status_code)


@router.post(
    "/{urn}/pupils/{upn}/absence-reports", response_model=ReportOut, status_code=201, responses={422: {}}
)
async def submit_absence_report(
    urn: str,
    upn: str,
    body: ReportIn,
    request: Request,
    database: DatabaseDep,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKey = None,
):
    """A family (or the office for them) reports an absence: evidence for the school, not a mark."""
    urn, upn = _ids(urn, upn)
    return await _submitted_once(
        request,
        database,
        principal,
        body,
        idempotency_key,
        lambda session: service.submit_report(session, principal, urn, upn, body),
    )


@router.get("/{urn}/absence-reports", response_model=ReportsOut)
async def list_school_absence_reports(
    urn: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    status: ReportStatus | None = None,
    upn: Upn = None,
    start: FromDate = None,
    end: ToDate = None,
    limit: Limit = 100,
    after: After = None,
):
    """The school's reports, newest first: its staff's queue."""
    filters = service.Filters(status=status, upn=upn, start=start, end=end, limit=limit, after=after)
    return await service.list_reports(session, principal, _ids(urn)[0], filters)


@router.get("/{urn}/pupils/{upn}/absence-reports", response_model=ReportsOut)
async def list_pupil_absence_reports(
    urn: str,
    upn: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    status: ReportStatus | None = None,
    start: FromDate = None,
    end: ToDate = None,
    limit: Limit = 100,
    after: After = None,
):
    """One pupil's reports, newest first; parents read their own child's."""
    urn, upn = _ids(urn, upn)
    filters = service.Filters(status=status, start=start, end=end, limit=limit, after=after)
    return await service.list_reports(session, principal, urn, filters, upn=upn)


@router.post("/{urn}/absence-reports/{report_id}/decision", response_model=ReportOut, responses={409: {}})
async def decide_absence_report(
    urn: str, report_id: str, body: ReportDecisionIn, session: SessionDep, principal: CurrentPrincipal
):
    """Accept or decline (with a note) a report still submitted; a decided one is 409 `already_decided`."""
    return await service.decide_report(session, principal, _ids(urn)[0], report_id, body)


@router.post("/{urn}/absence-reports/{report_id}/withdraw", response_model=ReportOut, responses={409: {}})
async def withdraw_absence_report(urn: str, report_id: str, session: SessionDep, principal: CurrentPrincipal):
    """Withdraw a report still submitted: the parent who submitted it, or the school's staff."""
    return await service.withdraw_report(session, principal, _ids(urn)[0], report_id)


@router.post(
    "/{urn}/pupils/{upn}/leave-requests", response_model=LeaveOut, status_code=201, responses={422: {}}
)
async def submit_leave_request(
    urn: str,
    upn: str,
    body: LeaveIn,
    request: Request,
    database: DatabaseDep,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKey = None,
):
    """Ask for leave of absence, in advance (regulation 11); `expected_code` is what granted leave records."""
    urn, upn = _ids(urn, upn)
    return await _submitted_once(
        request,
        database,
        principal,
        body,
        idempotency_key,
        lambda session: service.submit_leave(session, principal, urn, upn, body),
    )


@router.get("/{urn}/leave-requests", response_model=LeavesOut)
async def list_school_leave_requests(
    urn: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    status: LeaveStatus | None = None,
    upn: Upn = None,
    start: FromDate = None,
    end: ToDate = None,
    limit: Limit = 100,
    after: After = None,
):
    """The school's leave requests, newest first."""
    filters = service.Filters(status=status, upn=upn, start=start, end=end, limit=limit, after=after)
    return await service.list_leave(session, principal, _ids(urn)[0], filters)


@router.get("/{urn}/pupils/{upn}/leave-requests", response_model=LeavesOut)
async def list_pupil_leave_requests(
    urn: str,
    upn: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    status: LeaveStatus | None = None,
    start: FromDate = None,
    end: ToDate = None,
    limit: Limit = 100,
    after: After = None,
):
    """One pupil's leave requests, newest first; parents read their own child's."""
    urn, upn = _ids(urn, upn)
    filters = service.Filters(status=status, start=start, end=end, limit=limit, after=after)
    return await service.list_leave(session, principal, urn, filters, upn=upn)


@router.post("/{urn}/leave-requests/{request_id}/decision", response_model=LeaveOut, responses={409: {}})
async def decide_leave_request(
    urn: str, request_id: str, body: LeaveDecisionIn, session: SessionDep, principal: CurrentPrincipal
):
    """Grant or refuse (with a note) leave still pending: the school's staff, not its MIS."""
    return await service.decide_leave(session, principal, _ids(urn)[0], request_id, body)


@router.post("/{urn}/leave-requests/{request_id}/withdraw", response_model=LeaveOut, responses={409: {}})
async def withdraw_leave_request(urn: str, request_id: str, session: SessionDep, principal: CurrentPrincipal):
    """Withdraw leave still pending: the parent who asked, or the school's staff."""
    return await service.withdraw_leave(session, principal, _ids(urn)[0], request_id)
