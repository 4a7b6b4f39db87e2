"""Events the casework service produces on `attendance.cases`, keyed by family."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from attendance_common.bounds import FAMILY, FEW, Label, ShortText, Text
from attendance_common.events.base import CASES_TOPIC, EventData

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

    case_id: str
    family_key: str
    pupils: Annotated[list[CasePupil], Field(max_length=FAMILY)] = []

    def key(self) -> str:
        return self.family_key

    def subject(self) -> str:
        return self.case_id


class CaseOpened(_CaseEvent):
    """A family's case was opened, by a person or by an alert."""

    event_type: ClassVar[str] = "attendance.case.opened"
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_CASE,
                    "stage": "listen_and_understand",
                    "reason": "persistent_absence",
                    "opened_at": "2026-10-01T10:00:00Z",
                    "by": "system",
                }
            ]
        }
    )

    stage: Stage
    reason: Text | None = None
    opened_at: dt.datetime
    by: str | None = None


class CaseStageChanged(_CaseEvent):
    """A case moved between support stages (forwards or back), with who and why."""

    event_type: ClassVar[str] = "attendance.case.stage_changed"
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_CASE,
                    "from_stage": "listen_and_understand",
                    "to_stage": "facilitate_support",
                    "reason": "severe_absence",
                    "changed_at": "2026-11-01T10:00:00Z",
                    "by": "system",
                }
            ]
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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_CASE,
                    "outcome": "attendance_improved",
                    "note": None,
                    "closed_at": "2027-02-01T10:00:00Z",
                }
            ]
        }
    )

    outcome: Literal["attendance_improved", "moved_school", "left_education", "other"]
    note: Text | None = None
    closed_at: dt.datetime


class ReferralMade(_CaseEvent):
    """A case was referred (today: to the local authority) with a reason."""

    event_type: ClassVar[str] = "attendance.referral.made"
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_CASE,
                    "to": "local_authority",
                    "reason": "severe_absence",
                    "upn": "A801200115001",
                    "made_at": "2026-11-01T10:00:00Z",
                }
            ]
        }
    )

    to: Literal["local_authority"]
    reason: ShortText
    upn: str | None = None
    made_at: dt.datetime


class LegalActionRecorded(_CaseEvent):
    """A legal intervention (domain.md section 7) was recorded or withdrawn on a case."""

    event_type: ClassVar[str] = "attendance.legal_action.recorded"
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
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
            ]
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
