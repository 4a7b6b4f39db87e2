"""Routes of the reports: parse, authorise and build (service.py), render as JSON, a page or CSV."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, Response

from attendance_common.auth import CurrentPrincipal
from attendance_common.clock import now_utc, today_in_london
from attendance_common.db import SessionDep
from attendance_common.errors import Unprocessable
from registers import summaries
from registers.reports import page, periods, service
from registers.reports.access import parse_scope
from registers.reports.schemas import AttendanceReport

router = APIRouter(prefix="/v1/reports", tags=["reports"])


async def _report(
    session: SessionDep,
    principal: CurrentPrincipal,
    scope: Annotated[
        str, Query(description="`school:{urn}`, `trust:{id}` or `la:{code}`; 422 `unknown_scope` otherwise")
    ],
    start: Annotated[dt.date | None, Query(alias="from")] = None,
    end: Annotated[dt.date | None, Query(alias="to")] = None,
    interval: Annotated[
        str, Query(description="the series by `week` (default) or `month`; 422 `unknown_interval` otherwise")
    ] = "week",
) -> AttendanceReport:
    """Default period: the academic year containing `to` (default today), as the school summary."""
    parsed = parse_scope(scope)
    checked = periods.checked_interval(interval)
    try:
        start, end = summaries.period(start, end, today_in_london())
    except Unprocessable as error:
        raise Unprocessable("bad_range", error.detail) from error
    return await service.attendance_report(
        session, principal=principal, scope=parsed, start=start, end=end, interval=checked
    )


Report = Annotated[AttendanceReport, Depends(_report)]


@router.get("/attendance", response_model=AttendanceReport, response_model_by_alias=True)
async def attendance(report: Report):
    """Overall figures, a weekly or monthly series, groups, absence reasons, each school of a trust or
    an LA, and DfE's national figures for the scope's phase."""
    return report


@router.get("/attendance.html", response_class=HTMLResponse)
async def attendance_page(report: Report) -> HTMLResponse:
    """The same report as one printable page with charts drawn on the server (no JavaScript), naming
    no pupil."""
    return HTMLResponse(page.render_page(report, now_utc()))


@router.get("/attendance.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
async def attendance_csv(report: Report) -> Response:
    """The series as CSV, one row per week or month (null figures are empty cells)."""
    name = f"attendance-{report.scope.replace(':', '-')}-{report.from_}-{report.to}.csv"
    return Response(
        page.render_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
