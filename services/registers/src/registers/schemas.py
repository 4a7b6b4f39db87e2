"""Registers API request and response bodies (api.md "Registers")."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from attendance_common.bounds import EMAIL_LENGTH, Day
from attendance_common.events.registers import Characteristics, Contact, SocialWorker
from attendance_common.summaries import PupilPeriodAttendance

YearGroup = Literal[
    "N1", "N2", "R", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14"
]
DeletionGround = Literal[
    "registered_elsewhere",
    "did_not_continue_after_nursery",
    "dual_registration_ended",
    "sao_amended",
    "sao_revoked",
    "home_education",
    "moved_away",
    "did_not_return_after_leave",
    "twenty_day_absence",
    "detention",
    "died",
    "beyond_compulsory_age",
    "boarding_fees_unpaid",
    "left_independent_school",
    "permanently_excluded",
]


class AttendanceLeadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    email: EmailStr


class TrustIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(
        min_length=1, max_length=40, pattern=r"^\S+$", description="what a trust officer's `trust` names"
    )
    name: str = Field(min_length=1, max_length=200)


class SchoolIn(BaseModel):
    """A school as PUT takes it. `attendance_lead` and `trust` left out keep what is stored (an MIS
    that does not know of them renames a school without touching them); null removes them."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    la_code: str = Field(pattern=r"^[0-9]{3}$", description="3-digit local authority code")
    phase: str | None = Field(default=None, max_length=50)
    # A school without them is rendered as Part 1 of api.md has it.
    attendance_lead: AttendanceLeadIn | None = Field(default=None, exclude_if=lambda lead: lead is None)
    trust: TrustIn | None = Field(default=None, exclude_if=lambda trust: trust is None)


class SchoolOut(SchoolIn):
    urn: str


EmailIn = Annotated[EmailStr, Field(max_length=EMAIL_LENGTH)]


class SocialWorkerIn(SocialWorker):
    email: EmailIn | None = None


class ContactIn(Contact):
    email: EmailIn | None = None
    contact_id: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=200)
    priority: int = Field(default=1, ge=1)


class PupilIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(min_length=1, max_length=100)
    date_of_birth: Day | None = None
    year_group: YearGroup
    start_date: Day  # bounded: marks may go back to it, and alerts look weeks before a mark
    characteristics: Characteristics = Characteristics()
    social_worker: SocialWorkerIn | None = None
    contacts: list[ContactIn] = Field(default=[], max_length=20)


class PupilOut(PupilIn):
    # As stored: a record from before the bounds on PupilIn is still served.
    date_of_birth: dt.date | None = None
    start_date: dt.date
    school_urn: str
    upn: str
    on_roll: bool
    deleted_on: dt.date | None = None
    deletion_ground: str | None = None


class DeletionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ground: DeletionGround
    date: Day
    note: str | None = Field(default=None, max_length=1000)


def _documented(kind: str | list[str], **schema: Any) -> Any:
    extra: dict[str, Any] = {"type": kind, **schema}
    return Field(default=None, json_schema_extra=extra)


class MarkIn(BaseModel):
    """One mark as an MIS sends it.

    Loosely typed on purpose: a malformed item (a number for a date, a missing code) is rejected
    alone, by index, with `error_code` `bad_item`, and the rest of the batch is still stored.
    """

    upn: Any = _documented("string", examples=["A801200115001"])
    date: Any = _documented("string", format="date", description="the session's date, YYYY-MM-DD")
    session: Any = _documented("string", enum=["AM", "PM"])
    code: Any = _documented("string", examples=["/"], description="a statutory code (domain.md section 2)")
    minutes_late: Any = _documented(["integer", "null"], minimum=0, maximum=600)
    reason: Any = _documented(["string", "null"], maxLength=1000, description="stored with an amendment")


class MarksIn(BaseModel):
    # Counted before any item is validated (api.py): more is 413 `batch_too_large`, not a 422.
    marks: list[MarkIn] = Field(json_schema_extra={"maxItems": 10_000})


class RejectedMark(BaseModel):
    index: int
    upn: str | None = Field(description="as sent, as text of at most 50 characters")
    code: str | None = Field(description="as sent, as text of at most 50 characters")
    error_code: str
    error: str


class MarkWarning(BaseModel):
    """A mark stored as sent that the school may want to look at again (api.md Part 2)."""

    index: int
    upn: Any = Field(description="as sent")
    warning_code: str
    message: str


class MarksResult(BaseModel):
    accepted: int
    amended: int
    unchanged: int
    rejected: list[RejectedMark]
    warnings: list[MarkWarning] = Field(
        default=[], description="only when there are some, so the answer api.md Part 1 shows is unchanged"
    )

    def answer(self) -> dict[str, Any]:
        """The JSON answer: `warnings` left out when there are none."""
        return self.model_dump(mode="json", exclude=None if self.warnings else {"warnings"})


class MarkOut(BaseModel):
    date: dt.date
    session: str
    code: str
    minutes_late: int | None
    recorded_at: dt.datetime


class MarksOut(BaseModel):
    marks: list[MarkOut]


class ChangedBy(BaseModel):
    sub: str | None  # null for parents and social workers (history.SEES_WHO_CHANGED)
    role: str
    name: str | None


class HistoryEntry(BaseModel):
    code: str
    previous_code: str | None
    reason: str | None
    changed_at: dt.datetime
    changed_by: ChangedBy


class HistoryOut(BaseModel):
    entries: list[HistoryEntry]


class PupilAttendance(PupilPeriodAttendance):
    """Possible sessions, the four categories, rates and PA/SA flags over the period."""


class GroupSummary(BaseModel):
    """A group's figures; for a governor, a group under 5 pupils has them null and `suppressed`."""

    pupils: int | None
    possible_sessions: int | None
    absence_rate: float | None
    persistent_absence_rate: float | None
    severe_absence_rate: float | None
    # Rendered only where true, so summaries read as before for everyone but governors.
    suppressed: bool = Field(default=False, exclude_if=lambda flag: not flag)


class KeyedGroupSummary(GroupSummary):
    key: str


class SchoolAttendance(BaseModel):
    from_: dt.date = Field(alias="from", serialization_alias="from")
    to: dt.date
    overall: GroupSummary
    groups: list[KeyedGroupSummary]

    model_config = ConfigDict(populate_by_name=True)


Band = Literal["severe", "persistent", "at_risk", "expected"]
Trend = Literal["worsening", "improving", "steady"]


class RecentAttendance(BaseModel):
    """The school's last 20 school days up to `to` (null dates: the school has held none)."""

    from_: dt.date | None = Field(alias="from", serialization_alias="from")
    to: dt.date | None
    possible_sessions: int
    absence_rate: float | None

    model_config = ConfigDict(populate_by_name=True)


class PupilRow(BaseModel):
    upn: str
    # An LA's list says whose pupil each row is; a school's list is all its own.
    school_urn: str | None = Field(default=None, exclude_if=lambda urn: urn is None)
    given_name: str
    family_name: str
    year_group: str
    characteristics: Characteristics
    possible_sessions: int
    absence_rate: float | None
    authorised_absence: int
    unauthorised_absence: int
    band: Band | None
    recent: RecentAttendance
    trend: Trend | None


class PupilList(BaseModel):
    from_: dt.date = Field(alias="from", serialization_alias="from")
    to: dt.date
    pupils: list[PupilRow]
    next: str | None

    model_config = ConfigDict(populate_by_name=True)


class SchoolsOut(BaseModel):
    """`GET /v1/schools` (api.md "Reading back the roll"): the schools in the caller's scope."""

    schools: list[SchoolOut]
    next: str | None


class PupilsOut(BaseModel):
    """`GET /v1/schools/{urn}/pupils`: the roll as PUT takes each pupil, with `upn` and `on_roll`."""

    pupils: list[PupilOut]
    next: str | None
