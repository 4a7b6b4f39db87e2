"""Absence reports, whoever acts on them: each change written together with its event.

The event carries the reason's category and the span, never the family's note (it may say what
the illness is). Use cases never commit; they add and flush.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.auth import Principal
from attendance_common.clock import now_utc
from attendance_common.events import requests as events
from attendance_common.messaging import add_event
from registers.family_requests import rules
from registers.family_requests.schemas import ReportIn
from registers.models import AbsenceReport, Pupil, School

SOURCE = "registers"
OPEN = "submitted"


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
        status=OPEN,
        submitted_at=now_utc(),
        submitted_by_sub=by.sub,
        submitted_by_role=by.role.value,
        submitted_by_name=by.name,
    )
    session.add(report)
    await session.flush()
    add_event(
        session,
        events.AbsenceReportSubmitted(
            **_span(report, school),
            submitted_at=report.submitted_at,
            submitted_by_role=report.submitted_by_role,
        ),
        source=SOURCE,
    )
    return report


async def decide(
    session: AsyncSession,
    report: AbsenceReport,
    *,
    school: School,
    outcome: str,
    note: str | None,
    by: Principal,
) -> None:
    """Accept or decline a report still waiting; declining says why (`note`)."""
    rules.check_undecided(report.status, OPEN, f"absence report {report.id}")
    rules.check_decision_note(outcome, note, needs_note="declined")
    report.status, report.decision_note, report.decided_at = outcome, note, now_utc()
    report.decided_by_sub, report.decided_by_role, report.decided_by_name = by.sub, by.role.value, by.name
    await session.flush()
    add_event(
        session,
        events.AbsenceReportDecided(
            **_span(report, school),
            outcome=outcome,
            decided_at=report.decided_at,
            decided_by_role=report.decided_by_role,
        ),
        source=SOURCE,
    )


async def withdraw(session: AsyncSession, report: AbsenceReport, *, school: School, by: Principal) -> None:
    """Withdraw a report still waiting for a decision."""
    rules.check_undecided(report.status, OPEN, f"absence report {report.id}")
    report.status, report.withdrawn_at = "withdrawn", now_utc()
    report.withdrawn_by_sub, report.withdrawn_by_role, report.withdrawn_by_name = (
        by.sub,
        by.role.value,
        by.name,
    )
    await session.flush()
    add_event(
        session,
        events.AbsenceReportWithdrawn(
            **_span(report, school),
            withdrawn_at=report.withdrawn_at,
            withdrawn_by_role=report.withdrawn_by_role,
        ),
        source=SOURCE,
    )


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
