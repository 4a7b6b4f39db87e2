"""The report's body (api.md "Reports for leaders, governors, trusts and LAs")."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Figures(BaseModel):
    """A whole scope's, a group's or a school's figures; for a governor, under 5 pupils has them null
    and `suppressed`."""

    pupils: int | None
    possible_sessions: int | None
    absence_rate: float | None
    authorised_absence_rate: float | None
    unauthorised_absence_rate: float | None
    persistent_absence_rate: float | None
    severe_absence_rate: float | None
    suppressed: bool = Field(default=False, exclude_if=lambda flag: not flag)


class GroupFigures(Figures):
    key: str


class SchoolFigures(Figures):
    urn: str
    name: str


class Groups(BaseModel):
    year_group: list[GroupFigures]
    fsm_eligible: list[GroupFigures]
    sen_status: list[GroupFigures]
    has_social_worker: list[GroupFigures]


class SeriesPoint(BaseModel):
    start: dt.date
    end: dt.date
    possible_sessions: int | None
    absence_rate: float | None
    authorised_absence_rate: float | None
    unauthorised_absence_rate: float | None
    suppressed: bool = Field(default=False, exclude_if=lambda flag: not flag)


class Reason(BaseModel):
    code: str
    category: Literal["authorised_absence", "unauthorised_absence"]
    sessions: int | None
    suppressed: bool = Field(default=False, exclude_if=lambda flag: not flag)


class National(BaseModel):
    """DfE's published figures for the scope's phase (domain.md 9)."""

    period: str
    phase: str
    absence_rate: float
    persistent_absence_rate: float
    source: str


class AttendanceReport(BaseModel):
    scope: str
    name: str = Field(description="the school's or the trust's name, or the LA's code")
    from_: dt.date = Field(alias="from", serialization_alias="from")
    to: dt.date
    interval: Literal["week", "month"]
    overall: Figures
    series: list[SeriesPoint]
    groups: Groups
    reasons: list[Reason]
    schools: list[SchoolFigures] | None = Field(description="each school's figures: trust and LA scopes only")
    national: National | None = Field(description="null for a scope of mixed or unpublished phases")

    model_config = ConfigDict(populate_by_name=True)
