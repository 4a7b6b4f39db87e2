"""Events of families' requests, produced by registers on `attendance.requests`, keyed by UPN.

Absence reports (a parent telling the school why their child is away) and leave requests
(regulation 11). They carry the reason's category, never the free text a parent wrote: that may
say what the illness is, and it stays in registers. No names or contact details either:
consumers that need them keep their own projection of `attendance.pupils`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar, Literal

from pydantic import BaseModel

from attendance_common.bounds import Code
from attendance_common.events.base import REQUESTS_TOPIC, EventData, examples

Session = Literal["AM", "PM"]
AbsenceReason = Literal[
    "illness",
    "medical_appointment",
    "religious_observance",
    "family_emergency",
    "bereavement",
    "other",
]
ABSENCE_REASONS: tuple[str, ...] = AbsenceReason.__args__  # type: ignore[attr-defined]
LeaveCategory = Literal[
    "exceptional_circumstances", "performance_or_employment_abroad", "interview", "study_leave"
]
# api.md "Families ask for leave": the code the register will hold for leave granted in each category.
LEAVE_CODES: dict[str, str] = {
    "exceptional_circumstances": "C",
    "performance_or_employment_abroad": "C1",
    "interview": "J1",
    "study_leave": "S",
}
Role = Code  # the token's role of whoever acted (`parent`, `school_staff`, `mis`, `admin`)


class _RequestEvent(EventData):
    topic: ClassVar[str] = REQUESTS_TOPIC
    key_field: ClassVar[str] = "upn"

    school_urn: str
    la_code: str | None = None
    upn: str


# Both kinds of request go the same way: submitted, then decided or withdrawn. Each event is its kind's
# fields, then its step's (the step first among the bases, so its fields come last).
class _Submitted(BaseModel):
    submitted_at: dt.datetime
    submitted_by_role: Role


class _Decided(BaseModel):
    outcome: str  # each kind names its own outcomes
    decided_at: dt.datetime
    decided_by_role: Role


class _Withdrawn(BaseModel):
    withdrawn_at: dt.datetime
    withdrawn_by_role: Role


# Example payloads of each step, from a request's own example.
def _submitted(request: dict[str, Any], at: str) -> dict[str, Any]:
    return {**request, "submitted_at": at, "submitted_by_role": "parent"}


def _decided(request: dict[str, Any], outcome: str, at: str) -> dict[str, Any]:
    return {**request, "outcome": outcome, "decided_at": at, "decided_by_role": "school_staff"}


def _withdrawn(request: dict[str, Any], at: str) -> dict[str, Any]:
    return {**request, "withdrawn_at": at, "withdrawn_by_role": "parent"}


class _AbsenceReportEvent(_RequestEvent):
    """Every absence report event carries the whole span, so a consumer can project it from any."""

    report_id: Code
    first_date: dt.date
    first_session: Session
    last_date: dt.date
    last_session: Session
    reason: AbsenceReason
    expected_return: dt.date | None = None


_REPORT: dict[str, Any] = {
    "report_id": "5d2f8a0e-7b1c-4c3e-9a61-0f4b2d8e9c17",
    "school_urn": "100001",
    "la_code": "380",
    "upn": "A801200115001",
    "first_date": "2026-12-03",
    "first_session": "AM",
    "last_date": "2026-12-04",
    "last_session": "PM",
    "reason": "illness",
    "expected_return": "2026-12-07",
}


class AbsenceReportSubmitted(_Submitted, _AbsenceReportEvent):
    """A parent (or the school office for them) reported an absence: evidence, not a mark."""

    event_type: ClassVar[str] = "attendance.absence_report.submitted"
    model_config = examples(_submitted(_REPORT, "2026-12-03T07:41:00Z"))


class AbsenceReportDecided(_Decided, _AbsenceReportEvent):
    """The school accepted or declined a report (the MIS still records the code)."""

    event_type: ClassVar[str] = "attendance.absence_report.decided"
    model_config = examples(_decided(_REPORT, "accepted", "2026-12-03T09:10:00Z"))

    outcome: Literal["accepted", "declined"]


class AbsenceReportWithdrawn(_Withdrawn, _AbsenceReportEvent):
    """A report still waiting for a decision was withdrawn (the child came in after all)."""

    event_type: ClassVar[str] = "attendance.absence_report.withdrawn"
    model_config = examples(_withdrawn(_REPORT, "2026-12-03T08:05:00Z"))


class _LeaveRequestEvent(_RequestEvent):
    request_id: Code
    first_date: dt.date
    last_date: dt.date
    category: LeaveCategory
    expected_code: Code


_LEAVE: dict[str, Any] = {
    "request_id": "9a7c1e52-4b0d-4f6e-8c3a-2e5d7f1b0a94",
    "school_urn": "100001",
    "la_code": "380",
    "upn": "A801200115001",
    "first_date": "2027-01-11",
    "last_date": "2027-01-11",
    "category": "interview",
    "expected_code": "J1",
}


class LeaveRequestSubmitted(_Submitted, _LeaveRequestEvent):
    """Leave of absence was asked for, in advance (regulation 11)."""

    event_type: ClassVar[str] = "attendance.leave_request.submitted"
    model_config = examples(_submitted(_LEAVE, "2026-12-01T18:20:00Z"))


class LeaveRequestDecided(_Decided, _LeaveRequestEvent):
    """The school granted or refused leave; granted leave is recorded with `expected_code`."""

    event_type: ClassVar[str] = "attendance.leave_request.decided"
    model_config = examples(_decided(_LEAVE, "granted", "2026-12-02T12:00:00Z"))

    outcome: Literal["granted", "refused"]


class LeaveRequestWithdrawn(_Withdrawn, _LeaveRequestEvent):
    """A leave request still pending was withdrawn."""

    event_type: ClassVar[str] = "attendance.leave_request.withdrawn"
    model_config = examples(_withdrawn(_LEAVE, "2026-12-02T08:00:00Z"))
