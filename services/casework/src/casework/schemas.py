"""Casework API bodies (api.md "Casework")."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from attendance_common.bounds import FEW, Code, Email, Label, Name
from attendance_common.events.casework import PLAN_KINDS, PLAN_OUTCOMES, PROGRESS, LegalActionType, Stage

BarrierCategory = Literal[
    "physical_health",
    "mental_health",
    "send",
    "bullying",
    "transport",
    "housing",
    "young_carer",
    "family_circumstances",
    "school_based",
    "other",
]
ActionType = Literal[
    "meeting", "attendance_plan", "early_help_referral", "home_visit", "referral_to_service", "other"
]
Outcome = Literal["attendance_improved", "moved_school", "left_education", "other"]
Text = Field(default=None, max_length=2000)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PupilRef(BaseModel):
    school_urn: Code
    upn: Code


class OpenIn(_In):
    pupils: list[PupilRef] = Field(min_length=1, max_length=50)
    stage: Stage
    reason: str | None = Text


class StageIn(_In):
    stage: Stage
    reason: str = Field(min_length=1, max_length=2000)


class BarrierIn(_In):
    category: BarrierCategory
    description: str | None = Text


class ActionIn(_In):
    type: ActionType
    due_on: dt.date
    notes: str | None = Text


class CloseIn(_In):
    outcome: Outcome
    note: str | None = Text


class LegalActionIn(_In):
    type: LegalActionType
    upn: Code
    parent_contact_id: Label | None = None
    issued_on: dt.date
    reason: str | None = Text
    # Type-specific terms (domain.md 7): a notice to improve's period, a prosecution's section,
    # the s437 notice before a school attendance order.
    improvement_period_weeks: int | None = None
    section: Code | None = None
    notice_served_on: dt.date | None = None


class WithdrawIn(_In):
    reason: str | None = Text


class AlertOut(BaseModel):
    id: str
    type: str
    school_urn: str
    upn: str
    status: str
    raised_at: dt.datetime
    cleared_at: dt.datetime | None


class BarrierOut(BaseModel):
    id: str
    category: str
    description: str | None
    recorded_at: dt.datetime
    recorded_by: str


class ActionOut(BaseModel):
    id: str
    type: str
    due_on: dt.date
    notes: str | None
    created_at: dt.datetime
    created_by: str


class Amount(BaseModel):
    due_within_days: int
    amount_gbp: int


class LegalActionOut(BaseModel):
    id: str
    case_id: str
    type: str
    status: str
    upn: str
    school_urn: str
    parent_contact_id: str | None
    issued_on: dt.date
    reason: str | None
    amounts: list[Amount]
    details: dict[str, object]
    recorded_at: dt.datetime
    recorded_by: str
    withdrawn_at: dt.datetime | None
    withdrawn_by: str | None
    withdrawal_reason: str | None


class ReferralOut(BaseModel):
    to: str
    reason: str
    made_at: dt.datetime
    upn: str | None
    alert_id: str | None


class HistoryOut(BaseModel):
    stage: str
    at: dt.datetime
    reason: str | None
    by: str
    by_role: str | None
    by_name: str | None


class PlanLeadIn(_In):
    name: Name
    role: Label
    organisation: Label | None = None
    email: Email | None = None


class PlanTargetIn(_In):
    description: str = Field(min_length=1, max_length=2000)
    attendance_rate: float | None = Field(default=None, ge=0, le=1)
    by: dt.date | None = None


class PlanIn(_In):
    # Checked by plan_rules (422 `unknown_plan_kind`), so the problem names what was wrong.
    kind: Code = Field(json_schema_extra={"enum": list(PLAN_KINDS)})
    lead: PlanLeadIn
    targets: list[PlanTargetIn] = Field(default=[], max_length=FEW)
    review_on: dt.date
    agreed_with_family: bool = False


class PlanReviewIn(_In):
    held_on: dt.date
    progress: Code = Field(json_schema_extra={"enum": list(PROGRESS)})
    next_review_on: dt.date
    note: str | None = Text


class PlanEndIn(_In):
    outcome: Code = Field(json_schema_extra={"enum": list(PLAN_OUTCOMES)})
    note: str | None = Text


class PlanReviewOut(BaseModel):
    id: str
    held_on: dt.date
    progress: str
    next_review_on: dt.date
    note: str | None
    recorded_at: dt.datetime
    recorded_by: str


class PlanOut(BaseModel):
    id: str
    case_id: str
    kind: str
    status: str
    lead: dict[str, str | None]
    targets: list[dict[str, object]]
    review_on: dt.date
    agreed_with_family: bool
    started_on: dt.date
    reviews: list[PlanReviewOut]
    created_at: dt.datetime
    created_by: str
    ended_at: dt.datetime | None
    ended_by: str | None
    outcome: str | None
    end_note: str | None


class CasePupilOut(BaseModel):
    school_urn: str
    upn: str


class CaseOut(BaseModel):
    id: str
    family_key: str
    status: str
    stage: str
    pupils: list[CasePupilOut]
    alerts: list[AlertOut]
    barriers: list[BarrierOut]
    actions: list[ActionOut]
    legal_actions: list[LegalActionOut]
    referrals: list[ReferralOut]
    history: list[HistoryOut]
    plans: list[PlanOut] = []
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    outcome: str | None
    close_note: str | None


class CasesOut(BaseModel):
    cases: list[CaseOut]
    next: str | None


class AttendeeIn(_In):
    name: Name
    role: Label | None = None
    organisation: Label | None = None


class AgreedIn(_In):
    case_id: Code
    action: str = Field(min_length=1, max_length=1000)
    owner: Name
    due_on: dt.date


class SupportMeetingIn(_In):
    school_urn: Code
    held_on: dt.date
    attendees: list[AttendeeIn] = Field(default=[], max_length=FEW)
    notes: str | None = Field(default=None, max_length=4000)
    agreed: list[AgreedIn] = Field(default=[], max_length=500)


class AgreedOut(BaseModel):
    case_id: str
    action: str
    owner: str
    due_on: dt.date
    action_id: str


class SupportMeetingOut(BaseModel):
    id: str
    la_code: str
    school_urn: str
    held_on: dt.date
    attendees: list[dict[str, str | None]]
    notes: str | None
    agreed: list[AgreedOut]
    recorded_at: dt.datetime
    recorded_by: str


class SupportMeetingsOut(BaseModel):
    support_meetings: list[SupportMeetingOut]
    next: str | None


class PackPlanOut(BaseModel):
    id: str
    kind: str
    review_on: dt.date


class PackCaseOut(BaseModel):
    id: str
    stage: str
    plans: list[PackPlanOut]


class PackPupilOut(BaseModel):
    upn: str
    alerts: list[str]
    case: PackCaseOut | None


class PackOut(BaseModel):
    school_urn: str
    generated_at: dt.datetime
    pupils: list[PackPupilOut]


class PlanReviewRemindersOut(BaseModel):
    """A run of the overdue plan-review reminders: the school-local day it judged by and how many
    reminders (case actions) it added; 0 when every overdue plan was reminded already."""

    on: dt.date
    reminded: int
