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


class AlertData(_Thin):
    """An alert about one of the LA's pupils: the thin fields of api.md "Webhooks", no names or
    contact details, no evidence."""

    event_type: ClassVar[str] = "attendance.alert.raised"
    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "alert_id": "6c1f0b0e-3a43-4a8e-9d8e-0b7c5d0f2a11",
                    "type": "severe_absence",
                    "school_urn": "100001",
                    "la_code": "380",
                    "upn": "A801200115001",
                    "date": "2026-09-07",
                    "raised_at": "2026-09-07T08:52:01Z",
                    "rule_version": "2024.1",
                }
            ]
        },
    )

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
    model_config = ConfigDict(frozen=True, json_schema_extra={})

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


# The events an LA is sent, by CloudEvents type: adding one is a line here and its shaping
# function in notifications (la_events.SHAPES).
LA_DATA: dict[str, type[BaseModel]] = {
    model.event_type: model for model in (AlertData, AlertClearedData, ReferralData, DeletionData)
}
