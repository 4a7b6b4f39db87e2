"""Events the alerts service produces on `attendance.alerts`, keyed by UPN.

They carry no names or contact details (data minimisation): consumers that need them
keep their own projection of `attendance.pupils`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from attendance_common.bounds import EVIDENCE_MARKS, ShortText
from attendance_common.events.base import ALERTS_TOPIC, EventData, examples

AlertType = Literal[
    "first_day_absence",
    "social_worker_unexplained_absence",
    "persistent_absence",
    "severe_absence",
    "ten_day_unauthorised",
    "fifteen_day_illness",
    "penalty_threshold",
    "overdue_n",
    # api.md Part 2, "Finding pupils who need support".
    "emerging_absence",
    "twenty_day_continuous_absence",
]
ALERT_TYPES: tuple[str, ...] = AlertType.__args__  # type: ignore[attr-defined]


class EvidenceMark(BaseModel):
    model_config = ConfigDict(frozen=True)

    date: dt.date
    session: Literal["AM", "PM"]
    code: str


class Evidence(BaseModel):
    """The figures (rate, numerator, denominator, window) and the marks behind an alert."""

    model_config = ConfigDict(frozen=True)

    figures: dict[str, Any] = {}
    marks: Annotated[list[EvidenceMark], Field(max_length=EVIDENCE_MARKS)] = []


# An alert's fields without its evidence: what an LA is sent of it too (outward.AlertData).
ALERT_EXAMPLE: dict[str, Any] = {
    "alert_id": "6c1f0b0e-3a43-4a8e-9d8e-0b7c5d0f2a11",
    "type": "first_day_absence",
    "school_urn": "100001",
    "la_code": "380",
    "upn": "A801200115001",
    "date": "2026-09-07",
    "raised_at": "2026-09-07T08:52:01Z",
    "rule_version": "2024.1",
}


class _AlertEvent(EventData):
    """What every alert event says: which alert, of which pupil, raised when."""

    topic: ClassVar[str] = ALERTS_TOPIC
    key_field: ClassVar[str] = "upn"

    alert_id: str
    type: AlertType
    school_urn: str
    la_code: str | None = None
    upn: str
    date: dt.date | None = None
    raised_at: dt.datetime


class AlertRaised(_AlertEvent):
    """A threshold or trigger of domain.md section 5 started to hold for a pupil."""

    event_type: ClassVar[str] = "attendance.alert.raised"
    model_config = examples(
        {
            **ALERT_EXAMPLE,
            "evidence": {
                "figures": {"n_marks": 1},
                "marks": [{"date": "2026-09-07", "session": "AM", "code": "N"}],
            },
        },
        {
            **ALERT_EXAMPLE,
            "type": "emerging_absence",
            "date": None,
            "raised_at": "2026-10-02T09:10:00Z",
            "evidence": {
                "figures": {
                    "rate": 0.1,
                    "numerator": 4,
                    "denominator": 40,
                    "window": {"from": "2026-09-07", "to": "2026-10-02", "school_days": 20},
                },
                "marks": [
                    {"date": "2026-09-14", "session": "AM", "code": "I"},
                    {"date": "2026-09-14", "session": "PM", "code": "I"},
                    {"date": "2026-09-28", "session": "AM", "code": "O"},
                    {"date": "2026-10-01", "session": "AM", "code": "N"},
                ],
            },
        },
        {
            **ALERT_EXAMPLE,
            "type": "twenty_day_continuous_absence",
            "date": None,
            "raised_at": "2026-10-05T09:10:00Z",
            "evidence": {
                "figures": {"school_days": 20, "from": "2026-09-07", "to": "2026-10-02"},
                "marks": [
                    {"date": "2026-09-07", "session": "AM", "code": "N"},
                    {"date": "2026-09-07", "session": "PM", "code": "O"},
                ],
            },
        },
    )

    rule_version: str
    evidence: Evidence = Evidence()


class AlertCleared(_AlertEvent):
    """An open alert's condition stopped holding (e.g. an amendment from `N` to `I`)."""

    event_type: ClassVar[str] = "attendance.alert.cleared"
    model_config = examples(
        {**ALERT_EXAMPLE, "cleared_at": "2026-09-08T09:15:02Z", "reason": "no N left on 2026-09-07"}
    )

    cleared_at: dt.datetime
    rule_version: str
    reason: ShortText | None = None
