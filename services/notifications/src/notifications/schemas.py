"""Notifications API bodies (api.md "Notifications")."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from attendance_common.bounds import FEW, URL_LENGTH, Code
from attendance_common.summaries import PupilPeriodAttendance

Channel = Literal["app", "email", "sms", "webhook"]
Status = Literal["pending", "sent", "failed", "skipped"]


class ChildOut(BaseModel):
    school_urn: str
    upn: str
    given_name: str
    family_name: str
    year_group: str | None


class ChildrenOut(BaseModel):
    children: list[ChildOut]


class RecentMark(BaseModel):
    date: dt.date
    session: str
    code: str
    meaning: str


class ChildAttendance(PupilPeriodAttendance):
    """The registers summary fields, plus the marks of the last 10 school days."""

    school_urn: str
    recent_marks: list[RecentMark]


class MessageOut(BaseModel):
    id: str
    created_at: dt.datetime
    kind: str
    upn: str
    title: str
    body: str
    school_urn: str
    resolved_at: dt.datetime | None
    # The figures behind the message (an attendance update's); left out when it has none, so the
    # bodies, and ETags, of other messages stay as they were.
    data: dict[str, Any] | None = Field(default=None, exclude_if=lambda value: value is None)


class MessagesOut(BaseModel):
    messages: list[MessageOut]
    next: str | None


class Recipient(BaseModel):
    kind: str
    address: str
    name: str | None = None


class NotificationOut(BaseModel):
    id: str
    upn: str
    school_urn: str
    trigger: str
    recipient: Recipient
    channel: str
    status: str
    attempts: int
    created_at: dt.datetime
    sent_at: dt.datetime | None
    error: str | None
    next_attempt_at: dt.datetime | None


class NotificationsOut(BaseModel):
    notifications: list[NotificationOut]
    next: str | None


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(max_length=URL_LENGTH)
    event_types: list[Code] = Field(min_length=1, max_length=FEW)
    alert_types: list[Code] | None = Field(default=None, max_length=FEW)
    # Only for admins, who have no `la` claim: the LA whose pupils' events are sent.
    la_code: str | None = Field(default=None, pattern=r"^\d{3}$")


class SubscriptionOut(BaseModel):
    id: str
    la_code: str
    url: str
    event_types: list[str]
    alert_types: list[str]
    created_at: dt.datetime


class SubscriptionCreated(SubscriptionOut):
    secret: str


class SubscriptionsOut(BaseModel):
    subscriptions: list[SubscriptionOut]
    next: str | None


Channels = Annotated[list[Code], Field(max_length=FEW)]
Audiences = Annotated[dict[Code, Channels], Field(max_length=FEW)]


class RoutingIn(BaseModel):
    """`{trigger: {audience: [channel, ...]}}`; audiences left out keep the less specific scope's."""

    model_config = ConfigDict(extra="forbid")

    routes: Annotated[dict[Code, Audiences], Field(max_length=FEW)]


class RoutingOut(BaseModel):
    scope: str
    routes: dict[str, dict[str, list[str]]]
    scopes: dict[str, dict[str, Any]]


class PlanLeadOut(BaseModel):
    name: str
    role: str


class ParentPlanOut(BaseModel):
    """A plan of the parent's child's family: what it is, who leads it, its targets, next review."""

    id: str
    upn: str
    school_urn: str
    kind: str
    lead: PlanLeadOut
    targets: list[dict[str, Any]]
    review_on: dt.date


class ParentPlansOut(BaseModel):
    plans: list[ParentPlanOut]
