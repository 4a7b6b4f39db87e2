"""The base of every event's `data` model: its CloudEvents type, topic, schema version and key."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

PUPILS_TOPIC = "attendance.pupils"
MARKS_TOPIC = "attendance.marks"
REQUESTS_TOPIC = "attendance.requests"
ALERTS_TOPIC = "attendance.alerts"
CASES_TOPIC = "attendance.cases"
NOTIFICATIONS_TOPIC = "attendance.notifications"
TOPICS = (PUPILS_TOPIC, MARKS_TOPIC, REQUESTS_TOPIC, ALERTS_TOPIC, CASES_TOPIC, NOTIFICATIONS_TOPIC)


def dlq_topic(topic: str) -> str:
    return f"{topic}.dlq"


def examples(*payloads: dict[str, Any]) -> ConfigDict:
    """A model's config naming its example payloads (a test validates each; the AsyncAPI shows them)."""
    return ConfigDict(json_schema_extra={"examples": list(payloads)})


class EventData(BaseModel):
    """Past-tense event payload; subclasses set `event_type`, `topic`, `version` and `key_field`."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_type: ClassVar[str]
    topic: ClassVar[str]
    version: ClassVar[int] = 1
    # The field that is the Kafka message key (it keeps this entity's events in order), and the one
    # that is the CloudEvents `subject`, the pupil or case the event is about (by default the key's).
    key_field: ClassVar[str]
    subject_field: ClassVar[str | None] = None

    @classmethod
    def dataschema(cls) -> str:
        """The CloudEvents `dataschema`: a new version on every breaking change."""
        return f"urn:attendance:schema:{cls.event_type}:{cls.version}"

    def key(self) -> str:
        """The Kafka message key that keeps this entity's events in order."""
        key: str = getattr(self, self.key_field)
        return key

    def subject(self) -> str:
        """The CloudEvents `subject`: the pupil (UPN) or case id the event is about."""
        subject: str = getattr(self, self.subject_field or self.key_field)
        return subject
