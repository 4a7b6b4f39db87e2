"""Events the notifications service produces on `attendance.notifications`, keyed by UPN."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, ClassVar, Literal

from pydantic import field_validator

from attendance_common.bounds import Text
from attendance_common.events.base import NOTIFICATIONS_TOPIC, EventData, examples

Channel = Literal["app", "email", "sms", "webhook"]
RecipientKind = Literal["parent", "social_worker", "local_authority", "school"]
# A provider's error often quotes the recipient ("550 <pat@example.com>: no such user"); events never
# carry addresses, so they are masked.
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<!\d)(?:\+44\s?|0)\d{2,4}[\s-]?\d{3,4}[\s-]?\d{3,4}(?!\d)")  # UK numbers

_NOTIFICATION: dict[str, Any] = {
    "notification_id": "9a7b3c2d-1e0f-4a5b-8c7d-6e5f4a3b2c1d",
    "trigger": "first_day_absence",
    "upn": "A801200115001",
    "school_urn": "100001",
    "channel": "email",
    "recipient_kind": "parent",
    "attempts": 1,
}


class _NotificationEvent(EventData):
    topic: ClassVar[str] = NOTIFICATIONS_TOPIC
    key_field: ClassVar[str] = "upn"

    notification_id: str
    trigger: str
    upn: str
    school_urn: str
    channel: Channel
    recipient_kind: RecipientKind
    attempts: int


class NotificationSent(_NotificationEvent):
    """A message reached its channel (accepted by the SMTP server, Notify, or the webhook)."""

    event_type: ClassVar[str] = "attendance.notification.sent"
    model_config = examples({**_NOTIFICATION, "sent_at": "2026-09-07T08:52:03Z"})

    sent_at: dt.datetime


class NotificationFailed(_NotificationEvent):
    """A message gave up after its bounded retries."""

    event_type: ClassVar[str] = "attendance.notification.failed"
    model_config = examples(
        {
            **_NOTIFICATION,
            "attempts": 5,
            "error": "SMTP 550 mailbox unavailable",
            "failed_at": "2026-09-07T09:30:00Z",
        }
    )

    error: Text
    failed_at: dt.datetime

    @field_validator("error")
    @classmethod
    def mask_addresses(cls, error: str) -> str:
        return _PHONE.sub("[phone]", _EMAIL.sub("[email]", error))
