"""A pupil's attendance over a period as every API shows it: the registers summary's fields, whose
values `codes.summarise` works out (registers' pupil attendance, the parent's app's view of it)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field


class PupilPeriodAttendance(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    upn: str
    from_: dt.date = Field(alias="from", serialization_alias="from")
    to: dt.date
    possible_sessions: int
    present: int
    approved_educational_activity: int
    authorised_absence: int
    unauthorised_absence: int
    attendance_rate: float | None
    absence_rate: float | None
    persistent_absence: bool
    severe_absence: bool
