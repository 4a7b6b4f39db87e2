"""Absence reports, whoever acts on them: each change written together with its event (`lifecycle`
decides and withdraws them as it does leave).

The event carries the reason's category and the span, never the family's note (it may say what
the illness is). Use cases never commit; they add and flush.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.auth import Principal
from attendance_common.events import requests as events
from registers.family_requests import lifecycle, rules
from registers.family_requests.schemas import ReportIn
from registers.models import AbsenceReport, Pupil, School

OPEN = "submitted"


def _span(report: AbsenceReport, school: School) -> dict[str, object]:
    """What every report event carries: whose report, and the sessions it covers. No note."""
    return {
        "report_id": report.id,
        "school_urn": report.school_urn,
        "la_code": school.la_code,
        "upn": report.upn,
        "first_date": report.first_date,
        "first_session": report.first_session,
        "last_date": report.last_date,
        "last_session": report.last_session,
        "reason": report.reason,
        "expected_return": report.expected_return,
    }


KIND = lifecycle.Kind(
    model=AbsenceReport,
    name="absence report",
    waiting=OPEN,
    needs_note="declined",
    submitted=events.AbsenceReportSubmitted,
    decided=events.AbsenceReportDecided,
    withdrawn=events.AbsenceReportWithdrawn,
    span=_span,
)


async def submit(
    session: AsyncSession, *, school: School, pupil: Pupil, data: ReportIn, by: Principal, today: dt.date
) -> AbsenceReport:
    """Record a report (api.md defaults: AM to PM, one day) once its span passes the rules."""
    last_date = data.last_date or data.first_date
    rules.check_report_span((data.first_date, data.first_session), (last_date, data.last_session), today)
    report = AbsenceReport(
        id=str(uuid.uuid4()),
        school_urn=school.urn,
        pupil_id=pupil.id,
        upn=pupil.upn,
        first_date=data.first_date,
        first_session=data.first_session,
        last_date=last_date,
        last_session=data.last_session,
        reason=data.reason,
        note=data.note,
        expected_return=data.expected_return,
        **lifecycle.submitted_by(KIND, by),
    )
    await lifecycle.add(session, report, KIND, school)
    return report
