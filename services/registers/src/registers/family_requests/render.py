"""Reports and leave requests as the API shows them: who submitted, the decision, any withdrawal."""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from registers.family_requests.schemas import Decision, LeaveOut, Person, ReportOut, Withdrawal
from registers.models import AbsenceReport, LeaveRequest

_REPORT_FIELDS = (
    "id",
    "school_urn",
    "upn",
    "first_date",
    "first_session",
    "last_date",
    "last_session",
    "reason",
    "note",
    "expected_return",
    "status",
    "submitted_at",
)
_LEAVE_FIELDS = (
    "id",
    "school_urn",
    "upn",
    "first_date",
    "last_date",
    "category",
    "reason",
    "expected_code",
    "status",
    "submitted_at",
)


class _Request(Protocol):
    """What a report and a leave request both keep about who acted."""

    status: str
    submitted_by_sub: str
    submitted_by_role: str
    submitted_by_name: str | None
    decision_note: str | None
    decided_at: dt.datetime | None
    decided_by_sub: str | None
    decided_by_role: str | None
    decided_by_name: str | None
    withdrawn_at: dt.datetime | None
    withdrawn_by_sub: str | None
    withdrawn_by_role: str | None
    withdrawn_by_name: str | None


def report_out(report: AbsenceReport) -> ReportOut:
    return ReportOut.model_validate({**{f: getattr(report, f) for f in _REPORT_FIELDS}, **_people(report)})


def leave_out(leave: LeaveRequest) -> LeaveOut:
    return LeaveOut.model_validate({**{f: getattr(leave, f) for f in _LEAVE_FIELDS}, **_people(leave)})


def _people(row: _Request) -> dict[str, Any]:
    decision = withdrawal = None
    if row.decided_at is not None:
        by = Person(sub=row.decided_by_sub or "", role=row.decided_by_role or "", name=row.decided_by_name)
        decision = Decision(outcome=row.status, note=row.decision_note, by=by, at=row.decided_at)
    if row.withdrawn_at is not None:
        by = Person(
            sub=row.withdrawn_by_sub or "", role=row.withdrawn_by_role or "", name=row.withdrawn_by_name
        )
        withdrawal = Withdrawal(by=by, at=row.withdrawn_at)
    submitted_by = Person(sub=row.submitted_by_sub, role=row.submitted_by_role, name=row.submitted_by_name)
    return {"submitted_by": submitted_by, "decision": decision, "withdrawal": withdrawal}
