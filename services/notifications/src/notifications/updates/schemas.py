"""Bodies of attendance updates, their schedule and parents' preferences (api.md Part 2)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from attendance_common.bounds import Code


class UpdatesIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: dt.date = Field(alias="from")
    to: dt.date


class RunOut(BaseModel):
    """A run: the pupils on roll it covered and the messages it put in parents' feeds."""

    id: str
    pupils: int
    messages: int


class ScheduleIn(BaseModel):
    """`weekly` at `weekday` and `time` (Europe/London, 24-hour `HH:MM`), or `off`."""

    model_config = ConfigDict(extra="forbid")

    frequency: Code
    weekday: Code | None = None
    time: Code | None = None


class ScheduleOut(BaseModel):
    frequency: str
    weekday: str
    time: str


class PreferencesIn(BaseModel):
    """Each left out is on (the default)."""

    model_config = ConfigDict(extra="forbid")

    email: bool = True
    sms: bool = True
    attendance_updates: bool = True


class PreferencesOut(BaseModel):
    email: bool
    sms: bool
    attendance_updates: bool
