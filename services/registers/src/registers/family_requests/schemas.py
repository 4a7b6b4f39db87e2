"""Request and response bodies of absence reports and leave requests (api.md Part 2)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from attendance_common.bounds import REGISTER_NOTE_LENGTH
from attendance_common.events.requests import AbsenceReason, LeaveCategory

Session = Literal["AM", "PM"]
ReportStatus = Literal["submitted", "accepted", "declined", "withdrawn"]
LeaveStatus = Literal["pending", "granted", "refused", "withdrawn"]


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    first_date: dt.date
    first_session: Session = "AM"
    last_date: dt.date | None = Field(default=None, description="defaults to `first_date`")
    last_session: Session = "PM"
    reason: AbsenceReason
    note: str | None = Field(
        default=None, max_length=REGISTER_NOTE_LENGTH, description="the family's own words"
    )
    expected_return: dt.date | None = None


class LeaveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    first_date: dt.date
    last_date: dt.date | None = Field(default=None, description="defaults to `first_date`")
    category: LeaveCategory
    reason: str | None = Field(
        default=None, max_length=REGISTER_NOTE_LENGTH, description="the family's own words"
    )


class ReportDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["accepted", "declined"]
    note: str | None = Field(default=None, max_length=REGISTER_NOTE_LENGTH, description="required to decline")


class LeaveDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["granted", "refused"]
    note: str | None = Field(default=None, max_length=REGISTER_NOTE_LENGTH, description="required to refuse")


class Person(BaseModel):
    sub: str
    role: str
    name: str | None


class Decision(BaseModel):
    outcome: str
    note: str | None
    by: Person
    at: dt.datetime


class Withdrawal(BaseModel):
    by: Person
    at: dt.datetime


class RequestOut(BaseModel):
    """What the API shows of every family request: whose, its days, and who acted on it."""

    id: str
    school_urn: str
    upn: str
    first_date: dt.date
    last_date: dt.date
    submitted_by: Person
    submitted_at: dt.datetime
    decision: Decision | None
    withdrawal: Withdrawal | None = None


class ReportOut(RequestOut):
    first_session: Session
    last_session: Session
    reason: AbsenceReason
    note: str | None
    expected_return: dt.date | None
    status: ReportStatus


class ReportsOut(BaseModel):
    absence_reports: list[ReportOut]
    next: str | None


class LeaveOut(RequestOut):
    category: LeaveCategory
    reason: str | None
    expected_code: str
    status: LeaveStatus


class LeavesOut(BaseModel):
    leave_requests: list[LeaveOut]
    next: str | None
