"""What an LA is told about its own pupils: the thin `data` of its webhooks and of its own topic.

Each LA reads `attendance.la.{la_code}` (key: the pupil's UPN), written by notifications with only
events about pupils of that LA's schools (api.md Part 2, "LA event streams"). The events keep the
envelope of the internal event they come from (`id`, `source`, `type`, `subject`, `time`,
`dataschema`) and carry one of the models below as `data`: a fixed field list, so a field an
internal event grows stays inside. Webhooks deliver the very same events in structured mode.

`LA_DATA` names, per event type an LA can be sent, its model: the AsyncAPI document describes the
LA channel from it, and notifications shapes each type with one function (la_events.SHAPES); a
test keeps the two tables alike.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from attendance_common.events.alerts import ALERT_EXAMPLE
from attendance_common.events.base import examples

LA_TOPIC_PREFIX = "attendance.la."
# The LA's own consumer group: the one group its principal may use (deploy/kafka/la-acls.sh).
LA_GROUP_PREFIX = "la-"
_LA_CODE = re.compile(r"[0-9A-Za-z_-]{1,32}")


def la_topic(la_code: str) -> str:
    """The LA's own topic; ValueError for a code that cannot name one (Kafka's topic characters,
    and no dot, so one LA's name is never a prefix path of another's)."""
    if not _LA_CODE.fullmatch(la_code):
        raise ValueError(f"LA code {la_code!r} cannot name a topic")
    return f"{LA_TOPIC_PREFIX}{la_code}"


def la_group(la_code: str) -> str:
    """The consumer group the LA's principal may use."""
    return f"{LA_GROUP_PREFIX}{la_code}"


class _Thin(BaseModel):
    model_config = ConfigDict(frozen=True)

    event_type: ClassVar[str]
    # The record key on the LA's topic (the AsyncAPI message says it).
    stream_key: ClassVar[str] = "the pupil's UPN"


class AlertData(_Thin):
    """An alert about one of the LA's pupils: the thin fields of api.md "Webhooks", no names or
    contact details, no evidence."""

    event_type: ClassVar[str] = "attendance.alert.raised"
    model_config = examples({**ALERT_EXAMPLE, "type": "severe_absence"})

    alert_id: str
    type: str
    school_urn: str
    la_code: str
    upn: str
    date: dt.date | None
    raised_at: dt.datetime
    rule_version: str


class AlertClearedData(AlertData):
    """An alert about one of the LA's pupils stopped holding: the alert's thin fields and when."""

    event_type: ClassVar[str] = "attendance.alert.cleared"
    model_config = ConfigDict(json_schema_extra={})  # not the raised alert's example

    cleared_at: dt.datetime


class ReferralData(_Thin):
    """A case referred to the LA, naming only the one pupil of that LA it is about."""

    event_type: ClassVar[str] = "attendance.referral.made"

    case_id: str
    reason: str
    to: str
    school_urn: str
    la_code: str
    upn: str
    made_at: dt.datetime


class NoticeContact(BaseModel):
    """A parent or emergency contact, as the deletion notice must give them (domain.md section 8)."""

    model_config = ConfigDict(frozen=True)

    name: str
    relationship: str | None
    parental_responsibility: bool
    email: str | None
    phone: str | None
    priority: int


class DeletionData(_Thin):
    """The statutory notice to the pupil's own LA of a deletion from the admission register: who
    the pupil is, the ground and date, the school's note (e.g. where the family went), and the
    parents and emergency contacts. No social worker, no characteristics, no other pupil."""

    event_type: ClassVar[str] = "attendance.pupil.deleted"

    school_urn: str
    la_code: str
    upn: str
    given_name: str
    family_name: str
    date_of_birth: dt.date | None
    ground: str
    date: dt.date
    note: str | None
    contacts: list[NoticeContact]


# api.md Part 2 "Schools and the LA plan together": a plan on a family's case reaches, for each
# pupil of the family, that pupil's own LA (one event per pupil, keyed by its UPN); the lead's
# email, the notes and who acted stay in casework.
class PlanLeadData(BaseModel):
    """The plan's lead practitioner as an LA is told: name, role and organisation, no email."""

    model_config = ConfigDict(frozen=True)

    name: str
    role: str
    organisation: str | None


class PlanTargetData(BaseModel):
    model_config = ConfigDict(frozen=True)

    description: str
    attendance_rate: float | None
    by: dt.date | None


class _PlanData(_Thin):
    case_id: str
    plan_id: str
    kind: str
    school_urn: str
    la_code: str
    upn: str


class PlanAgreedData(_PlanData):
    """A plan started on the case of one of the LA's pupils: its kind, lead (no email), targets and
    first review date, naming only that pupil (no notes, no other pupil of the family)."""

    event_type: ClassVar[str] = "attendance.plan.agreed"

    lead: PlanLeadData
    targets: list[PlanTargetData]
    review_on: dt.date
    agreed_with_family: bool
    agreed_at: dt.datetime


class PlanReviewedData(_PlanData):
    """A plan on the case of one of the LA's pupils was reviewed: the progress seen and the next
    review date (the review's note stays in casework)."""

    event_type: ClassVar[str] = "attendance.plan.reviewed"

    review_id: str
    held_on: dt.date
    progress: str
    review_on: dt.date
    reviewed_at: dt.datetime


class PlanEndedData(_PlanData):
    """A plan on the case of one of the LA's pupils ended, with its outcome (no note)."""

    event_type: ClassVar[str] = "attendance.plan.ended"

    outcome: str
    ended_at: dt.datetime


class MeetingAgreedData(BaseModel):
    """An action the meeting agreed on a case: which case and action, and when it is due (the
    wording and its owner stay in casework)."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    action_id: str
    due_on: dt.date


class SupportMeetingData(_Thin):
    """A termly targeting support meeting of the LA with one of its schools was recorded: the school,
    the day, and the case actions it agreed. It names a school, not a pupil (key: the school's URN);
    no attendees, no notes."""

    event_type: ClassVar[str] = "attendance.support_meeting.held"
    stream_key: ClassVar[str] = "the school's URN (a meeting is about a school, not one pupil)"

    meeting_id: str
    la_code: str
    school_urn: str
    held_on: dt.date
    agreed: list[MeetingAgreedData]
    recorded_at: dt.datetime


# The events an LA is sent, by CloudEvents type: adding one is a line here and its shaping
# function in notifications (la_events.SHAPES).
LA_DATA: dict[str, type[BaseModel]] = {
    model.event_type: model
    for model in (
        AlertData,
        AlertClearedData,
        ReferralData,
        DeletionData,
        PlanAgreedData,
        PlanReviewedData,
        PlanEndedData,
        SupportMeetingData,
    )
}
