"""CloudEvents 1.0 envelope in Kafka binary mode: attributes as `ce_*` headers, `data` as JSON."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import to_json

from attendance_common.events.base import EventData

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"
_HEADER_ATTRIBUTES = ("id", "source", "type", "subject", "time", "dataschema", "traceparent")

Headers = list[tuple[str, bytes]]


class EnvelopeError(ValueError):
    """A Kafka record that is not a CloudEvent this platform can read."""


class CloudEvent(BaseModel):
    """The attributes of one event plus its `data` (still JSON-decoded, not yet typed)."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    source: str
    type: str
    subject: str | None = None
    time: datetime = Field(default_factory=lambda: datetime.now(UTC))
    dataschema: str | None = None
    traceparent: str | None = None
    specversion: str = SPEC_VERSION
    datacontenttype: str = CONTENT_TYPE
    data: dict[str, Any]

    def to_kafka(self) -> tuple[Headers, bytes]:
        """Binary mode: each attribute a `ce_` header, `content-type` for the data, data as value."""
        attributes = {name: getattr(self, name) for name in _HEADER_ATTRIBUTES}
        return binary_headers(attributes, self.datacontenttype), encode_data(self.data)

    @classmethod
    def from_kafka(cls, headers: Any, value: bytes | None, *, data: bool = True) -> CloudEvent:
        """Read a binary-mode record; raise EnvelopeError when it is not one. `data=False` leaves
        `data` empty, for a consumer that validates the payload from `value` itself (once)."""
        attributes: dict[str, Any] = {}
        for name, raw in headers or ():
            if raw is None:
                continue
            text = raw.decode("utf-8", errors="replace")
            if name == "content-type":
                attributes["datacontenttype"] = text
            elif name.startswith("ce_"):
                attributes[name[3:]] = text
        if attributes.get("specversion") != SPEC_VERSION:
            raise EnvelopeError(f"not a CloudEvents {SPEC_VERSION} record: {attributes!r}")
        if not value:
            raise EnvelopeError("record has no data")
        try:
            attributes["data"] = decode_data(value) if data else {}
            return cls.model_validate(attributes)
        except (ValueError, ValidationError) as error:
            raise EnvelopeError(f"unreadable CloudEvent: {error}") from error

    def with_data(self, value: bytes | None) -> CloudEvent:
        """This event with `data` read from its record's value (after `from_kafka(data=False)`)."""
        try:
            return self.model_copy(update={"data": decode_data(value)})
        except ValueError as error:
            raise EnvelopeError(f"unreadable CloudEvent: {error}") from error

    def structured(self) -> dict[str, Any]:
        """Structured JSON mode (one JSON object), as webhooks deliver it."""
        return self.model_dump(mode="json", exclude_none=True)


def binary_headers(attributes: dict[str, Any], content_type: str = CONTENT_TYPE) -> Headers:
    """The `ce_*` headers of binary mode for these attributes (None values are left out)."""
    headers: Headers = [("ce_specversion", SPEC_VERSION.encode())]
    for name in _HEADER_ATTRIBUTES:
        value = attributes.get(name)
        if value is None:
            continue
        text = value.isoformat() if isinstance(value, datetime) else str(value)
        headers.append((f"ce_{name}", text.encode()))
    headers.append(("content-type", content_type.encode()))
    return headers


def encode_data(data: Any) -> bytes:
    return to_json(data)


def decode_data(value: bytes | None) -> dict[str, Any]:
    if not value:
        raise EnvelopeError("record has no data")
    decoded = json.loads(value)
    if not isinstance(decoded, dict):
        raise EnvelopeError("event data must be a JSON object")
    return decoded


def make_event(data: EventData, *, source: str, traceparent: str | None = None) -> CloudEvent:
    """Wrap a typed payload in a new CloudEvent with a fresh id and the current time."""
    return CloudEvent(
        source=source,
        type=data.event_type,
        subject=data.subject(),
        dataschema=data.dataschema(),
        traceparent=traceparent,
        data=data.model_dump(mode="json"),
    )
