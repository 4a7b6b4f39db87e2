"""CloudEvents envelope and one pydantic model per event type (api.md "Events")."""

from attendance_common.events.base import TOPICS, EventData, dlq_topic
from attendance_common.events.catalog import EVENT_MODELS, decode
from attendance_common.events.envelope import CloudEvent, EnvelopeError, make_event

__all__ = [
    "EVENT_MODELS",
    "TOPICS",
    "CloudEvent",
    "EnvelopeError",
    "EventData",
    "decode",
    "dlq_topic",
    "make_event",
]
