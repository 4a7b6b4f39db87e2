"""Alerts API bodies (api.md "Alerts")."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from attendance_common.bounds import FEW, Code
from attendance_common.events.alerts import Evidence


class AlertOut(BaseModel):
    id: str
    type: str
    school_urn: str
    upn: str
    date: dt.date | None
    status: str
    raised_at: dt.datetime
    cleared_at: dt.datetime | None
    rule_version: str
    evidence: Evidence
    acknowledged_at: dt.datetime | None = None
    acknowledged_by: str | None = None
    acknowledgement_note: str | None = None


class AlertsOut(BaseModel):
    alerts: list[AlertOut]
    next: str | None


class AcknowledgeIn(BaseModel):
    note: str | None = Field(default=None, max_length=1000)


class RulesOut(BaseModel):
    """The thresholds in force for a school (or the default), and the scopes they come from."""

    scope: str
    thresholds: dict[str, Any]
    scopes: dict[str, dict[str, Any]]


WEEKS_A_YEAR, DAYS_A_YEAR, SESSIONS_A_YEAR = 52, 366, 2 * 366


class RulesIn(BaseModel):
    """Any subset of the thresholds; fields left out keep the less specific scope's value."""

    model_config = {"extra": "forbid"}

    persistent_rate: float | Code | None = None
    persistent_clear_below: float | Code | None = None
    severe_rate: float | Code | None = None
    severe_clear_below: float | Code | None = None
    # At most a school year's sessions, days or weeks: a window of a billion weeks reaches past the ends of
    # the calendar, and evaluating the school's marks then overflowed (found by fuzzing).
    min_possible_sessions: int | None = Field(default=None, ge=0, le=SESSIONS_A_YEAR)
    ten_day_run_days: int | None = Field(default=None, ge=1, le=DAYS_A_YEAR)
    illness_days: int | None = Field(default=None, ge=1, le=DAYS_A_YEAR)
    penalty_sessions: int | None = Field(default=None, ge=1, le=SESSIONS_A_YEAR)
    penalty_weeks: int | None = Field(default=None, ge=1, le=WEEKS_A_YEAR)
    overdue_n_school_days: int | None = Field(default=None, ge=1, le=DAYS_A_YEAR)
    emerging_rate: float | Code | None = None
    emerging_clear_rate: float | Code | None = None
    emerging_days: int | None = Field(default=None, ge=1, le=200)
    emerging_min_possible_sessions: int | None = Field(default=None, ge=0, le=SESSIONS_A_YEAR)
    twenty_day_run_days: int | None = Field(default=None, ge=1, le=DAYS_A_YEAR)
    enabled: list[Code] | None = Field(default=None, max_length=FEW)
