"""Events the casework service produces on `attendance.cases`, keyed by family."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from attendance_common.bounds import FAMILY, FEW, Label, ShortText, Text
from attendance_common.events.base import CASES_TOPIC, EventData, examples

Stage = Literal[
    "expect",
    "monitor",
    "listen_and_understand",
    "facilitate_support",
    "formalise_support",
    "enforce",
]
STAGES: tuple[str, ...] = Stage.__args__  # type: ignore[attr-defined]
LegalActionType = Literal[
    "attendance_contract",
    "notice_to_improve",
    "penalty_notice",
    "education_supervision_order",
    "prosecution",
    "school_attendance_order",
]


class CasePupil(BaseModel):
    model_config = ConfigDict(frozen=True)

    school_urn: str
    upn: str
    la_code: str | None = None


class Amount(BaseModel):
    model_config = ConfigDict(frozen=True)

    due_within_days: int
    amount_gbp: int


_CASE: dict[str, Any] = {
    "case_id": "0b9e2a64-1f7c-4d7e-8d0a-6a9a1f3c2b10",
    "family_key": "fam_9c3e51d2a0b74f18",
    "pupils": [{"school_urn": "100001", "upn": "A801200115001", "la_code": "380"}],
}


class _CaseEvent(EventData):
    topic: ClassVar[str] = CASES_TOPIC
    key_field: ClassVar[str] = "family_key"
    subject_field: ClassVar[str | None] = "case_id"

    case_id: str
    family_key: str
    pupils: Annotated[list[CasePupil], Field(max_length=FAMILY)] = []


class CaseOpened(_CaseEvent):
    """A family's case was opened, by a person or by an alert."""

    event_type: ClassVar[str] = "attendance.case.opened"
    model_config = examples(
        {
            **_CASE,
            "stage": "listen_and_understand",
            "reason": "persistent_absence",
            "opened_at": "2026-10-01T10:00:00Z",
            "by": "system",
        }
    )

    stage: Stage
    reason: Text | None = None
    opened_at: dt.datetime
    by: str | None = None


class CaseStageChanged(_CaseEvent):
    """A case moved between support stages (forwards or back), with who and why."""

    event_type: ClassVar[str] = "attendance.case.stage_changed"
    model_config = examples(
        {
            **_CASE,
            "from_stage": "listen_and_understand",
            "to_stage": "facilitate_support",
            "reason": "severe_absence",
            "changed_at": "2026-11-01T10:00:00Z",
            "by": "system",
        }
    )

    from_stage: Stage
    to_stage: Stage
    reason: Text | None = None
    changed_at: dt.datetime
    by: str | None = None


class CaseClosed(_CaseEvent):
    """A case was closed with an outcome."""

    event_type: ClassVar[str] = "attendance.case.closed"
    model_config = examples(
        {
            **_CASE,
            "outcome": "attendance_improved",
            "note": None,
            "closed_at": "2027-02-01T10:00:00Z",
        }
    )

    outcome: Literal["attendance_improved", "moved_school", "left_education", "other"]
    note: Text | None = None
    closed_at: dt.datetime


class ReferralMade(_CaseEvent):
    """A case was referred (today: to the local authority) with a reason."""

    event_type: ClassVar[str] = "attendance.referral.made"
    model_config = examples(
        {
            **_CASE,
            "to": "local_authority",
            "reason": "severe_absence",
            "upn": "A801200115001",
            "made_at": "2026-11-01T10:00:00Z",
        }
    )

    to: Literal["local_authority"]
    reason: ShortText
    upn: str | None = None
    made_at: dt.datetime


class LegalActionRecorded(_CaseEvent):
    """A legal intervention (domain.md section 7) was recorded or withdrawn on a case."""

    event_type: ClassVar[str] = "attendance.legal_action.recorded"
    model_config = examples(
        {
            **_CASE,
            "action_id": "5d2c7e1a-8b0f-4c4e-9a51-3f6d2e7b9c01",
            "type": "penalty_notice",
            "status": "issued",
            "upn": "A801200115001",
            "parent_contact_id": "c1",
            "issued_on": "2026-11-20",
            "reason": "holiday",
            "amounts": [
                {"due_within_days": 21, "amount_gbp": 80},
                {"due_within_days": 28, "amount_gbp": 160},
            ],
            "recorded_at": "2026-11-20T10:00:00Z",
        }
    )

    action_id: str
    type: LegalActionType
    status: Literal["issued", "withdrawn"] = "issued"
    upn: str
    parent_contact_id: Label | None = None
    issued_on: dt.date
    reason: Text | None = None
    amounts: Annotated[list[Amount], Field(max_length=FEW)] = []
    recorded_at: dt.datetime


# api.md Part 2 "Schools and the LA plan together": plans on a case and targeting support meetings.
PlanKind = Literal["attendance_support", "joint_school_la", "early_help", "attendance_contract"]
PLAN_KINDS: tuple[str, ...] = PlanKind.__args__  # type: ignore[attr-defined]
Progress = Literal["improving", "no_change", "worsening"]
PROGRESS: tuple[str, ...] = Progress.__args__  # type: ignore[attr-defined]
PlanOutcome = Literal["attendance_improved", "replaced", "moved_school", "left_education", "other"]
PLAN_OUTCOMES: tuple[str, ...] = PlanOutcome.__args__  # type: ignore[attr-defined]


class PlanLead(BaseModel):
    """The plan's one lead practitioner, as the family may be told (no email: it stays in casework)."""

    model_config = ConfigDict(frozen=True)

    name: Label
    role: Label
    organisation: Label | None = None


class PlanTarget(BaseModel):
    model_config = ConfigDict(frozen=True)

    description: Text
    attendance_rate: float | None = Field(default=None, ge=0, le=1)
    by: dt.date | None = None


class _PlanEvent(_CaseEvent):
    plan_id: str
    kind: PlanKind


_PLAN: dict[str, Any] = {
    **_CASE,
    "plan_id": "7a1f3c2e-5b6d-4e8f-9a0b-1c2d3e4f5a6b",
    "kind": "joint_school_la",
}


class PlanAgreed(_PlanEvent):
    """A plan started on a family's case: its lead, targets and first review date (no notes)."""

    event_type: ClassVar[str] = "attendance.plan.agreed"
    model_config = examples(
        {
            **_PLAN,
            "lead": {"name": "Sam Patel", "role": "Attendance officer", "organisation": "LA 380"},
            "targets": [
                {"description": "In school every Monday", "attendance_rate": 0.9, "by": "2027-02-12"}
            ],
            "review_on": "2027-01-15",
            "agreed_with_family": True,
            "agreed_at": "2026-12-03T10:00:00Z",
            "by": "la-380",
        }
    )

    lead: PlanLead
    targets: Annotated[list[PlanTarget], Field(max_length=FEW)] = []
    review_on: dt.date
    agreed_with_family: bool
    agreed_at: dt.datetime
    by: str | None = None


class PlanReviewed(_PlanEvent):
    """A plan was reviewed: the progress seen and the next review date (the note stays in casework)."""

    event_type: ClassVar[str] = "attendance.plan.reviewed"
    model_config = examples(
        {
            **_PLAN,
            "review_id": "3e9d1b2a-4c5f-4a6b-8c7d-9e0f1a2b3c4d",
            "held_on": "2027-01-15",
            "progress": "improving",
            "review_on": "2027-02-12",
            "reviewed_at": "2027-01-15T15:00:00Z",
            "by": "staff-100001",
        }
    )

    review_id: str
    held_on: dt.date
    progress: Progress
    review_on: dt.date
    reviewed_at: dt.datetime
    by: str | None = None


class PlanEnded(_PlanEvent):
    """A plan ended with an outcome (or because its case closed)."""

    event_type: ClassVar[str] = "attendance.plan.ended"
    model_config = examples(
        {
            **_PLAN,
            "outcome": "attendance_improved",
            "ended_at": "2027-03-01T10:00:00Z",
            "by": "la-380",
        }
    )

    outcome: PlanOutcome
    ended_at: dt.datetime
    by: str | None = None


class MeetingAttendee(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: Label
    role: Label | None = None
    organisation: Label | None = None


class AgreedAction(BaseModel):
    """What a meeting agreed for one case, and the case action it became (the wording stays in casework)."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    action_id: str
    due_on: dt.date


class SupportMeetingHeld(EventData):
    """A termly targeting support meeting of an LA with one school was recorded (domain.md 10)."""

    topic: ClassVar[str] = CASES_TOPIC
    event_type: ClassVar[str] = "attendance.support_meeting.held"
    key_field: ClassVar[str] = "school_urn"  # a meeting is about one school, across its families
    subject_field: ClassVar[str | None] = "meeting_id"
    model_config = examples(
        {
            "meeting_id": "c4b3a291-8f7e-4d6c-b5a4-3f2e1d0c9b8a",
            "la_code": "380",
            "school_urn": "100001",
            "held_on": "2026-12-02",
            "attendees": [{"name": "Sam Patel", "role": "Attendance officer", "organisation": "LA 380"}],
            "agreed": [
                {
                    "case_id": "0b9e2a64-1f7c-4d7e-8d0a-6a9a1f3c2b10",
                    "action_id": "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a",
                    "due_on": "2026-12-18",
                }
            ],
            "recorded_at": "2026-12-02T16:00:00Z",
            "by": "la-380",
        }
    )

    meeting_id: str
    la_code: str
    school_urn: str
    held_on: dt.date
    attendees: Annotated[list[MeetingAttendee], Field(max_length=FEW)] = []
    agreed: Annotated[list[AgreedAction], Field(max_length=FAMILY)] = []
    recorded_at: dt.datetime
    by: str | None = None
