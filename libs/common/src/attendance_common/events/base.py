"""The base of every event's `data` model: its CloudEvents type, topic, schema version and key."""

from __future__ import annotations

from typing import ClassVar

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


class EventData(BaseModel):
    """Past-tense event payload; subclasses set `event_type`, `topic` and `version` and say their key."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_type: ClassVar[str]
    topic: ClassVar[str]
    version: ClassVar[int] = 1

    @classmethod
    def dataschema(cls) -> str:
        """The CloudEvents `dataschema`: a new version on every breaking change."""
        return f"urn:attendance:schema:{cls.event_type}:{cls.version}"

    def key(self) -> str:
        """The Kafka message key that keeps this entity's events in order."""
        raise NotImplementedError

    def subject(self) -> str | None:
        """The CloudEvents `subject`: the pupil (UPN) or case id the event is about."""
        return None
