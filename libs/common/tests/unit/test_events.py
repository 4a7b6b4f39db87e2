"""The CloudEvents envelope in Kafka binary mode and the event catalogue (api.md "Events")."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from pydantic import TypeAdapter
from typing_extensions import TypedDict

from attendance_common.events import (
    EVENT_MODELS,
    CloudEvent,
    EnvelopeError,
    EventData,
    decode,
    make_event,
)
from attendance_common.events.alerts import AlertCleared, AlertRaised
from attendance_common.events.casework import CaseOpened
from attendance_common.events.catalog import Reader, read

# The literal list from api.md "Events (Kafka)": a type missing from the catalogue fails.
API_EVENT_TYPES = (
    "attendance.school.upserted",
    "attendance.pupil.upserted",
    "attendance.pupil.deleted",
    "attendance.mark.recorded",
    "attendance.mark.amended",
    "attendance.alert.raised",
    "attendance.alert.cleared",
    "attendance.case.opened",
    "attendance.case.stage_changed",
    "attendance.case.closed",
    "attendance.referral.made",
    "attendance.legal_action.recorded",
    "attendance.notification.sent",
    "attendance.notification.failed",
    # api.md Part 2, "Events added"
    "attendance.absence_report.submitted",
    "attendance.absence_report.decided",
    "attendance.absence_report.withdrawn",
    "attendance.leave_request.submitted",
    "attendance.leave_request.decided",
    "attendance.leave_request.withdrawn",
    "attendance.plan.agreed",
    "attendance.plan.reviewed",
    "attendance.plan.ended",
    "attendance.support_meeting.held",
)

# Topic, and the example field that must be both the Kafka key and the CloudEvents subject.
ROUTING: dict[str, tuple[str, str, str]] = {
    "attendance.school.upserted": ("attendance.pupils", "urn", "urn"),
    "attendance.pupil.upserted": ("attendance.pupils", "upn", "upn"),
    "attendance.pupil.deleted": ("attendance.pupils", "upn", "upn"),
    "attendance.mark.recorded": ("attendance.marks", "school_urn", "school_urn"),
    "attendance.mark.amended": ("attendance.marks", "school_urn", "school_urn"),
    "attendance.alert.raised": ("attendance.alerts", "upn", "upn"),
    "attendance.alert.cleared": ("attendance.alerts", "upn", "upn"),
    "attendance.case.opened": ("attendance.cases", "family_key", "case_id"),
    "attendance.case.stage_changed": ("attendance.cases", "family_key", "case_id"),
    "attendance.case.closed": ("attendance.cases", "family_key", "case_id"),
    "attendance.referral.made": ("attendance.cases", "family_key", "case_id"),
    "attendance.legal_action.recorded": ("attendance.cases", "family_key", "case_id"),
    "attendance.notification.sent": ("attendance.notifications", "upn", "upn"),
    "attendance.notification.failed": ("attendance.notifications", "upn", "upn"),
    **{
        f"attendance.{kind}.{verb}": ("attendance.requests", "upn", "upn")
        for kind in ("absence_report", "leave_request")
        for verb in ("submitted", "decided", "withdrawn")
    },
    **{
        f"attendance.plan.{verb}": ("attendance.cases", "family_key", "case_id")
        for verb in ("agreed", "reviewed", "ended")
    },
    # A meeting is about one school and many families: keyed by the school, its subject the meeting.
    "attendance.support_meeting.held": ("attendance.cases", "school_urn", "meeting_id"),
}

SOURCE = "registers"
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def examples_of(model: type[EventData]) -> list[dict[str, Any]]:
    extra = model.model_config.get("json_schema_extra")
    assert isinstance(extra, dict), f"{model.__name__} has no json_schema_extra"
    examples = extra.get("examples")
    assert isinstance(examples, list)
    return examples


EXAMPLES = [
    pytest.param(event_type, example, id=f"{event_type}-{index}")
    for event_type in API_EVENT_TYPES
    if event_type in EVENT_MODELS
    for index, example in enumerate(examples_of(EVENT_MODELS[event_type]))
]


def example_event(event_type: str) -> EventData:
    model = EVENT_MODELS[event_type]
    return model.model_validate(examples_of(model)[0])


def header_dict(headers: list[tuple[str, bytes]]) -> dict[str, str]:
    names = [name for name, _ in headers]
    assert len(names) == len(set(names)), f"repeated headers: {names}"
    return {name: value.decode() for name, value in headers}


RecordReader = Callable[[Any, bytes | None], Any]
# A record's payload read as the event model, and by a reader straight from the record's JSON
# (as a consumer reads it for a type it has a reader for: the event's `data` left empty).
READ_PATHS: dict[str, RecordReader] = {
    "as the model": lambda headers, value: decode(CloudEvent.from_kafka(headers, value)),
    "read later": lambda headers, value: decode(
        CloudEvent.from_kafka(headers, value, data=False).with_data(value)
    ),
    "by a reader": lambda headers, value: read(
        CloudEvent.from_kafka(headers, value, data=False), value, _model_reader(headers)
    ),
}


def _model_reader(headers: Any) -> Reader:
    """A reader that validates with the event's own model (what a TypedDict view would check)."""
    event_type = dict(headers or ()).get("ce_type", b"").decode()
    return EVENT_MODELS.get(event_type, AlertRaised).model_validate_json


@pytest.fixture(params=list(READ_PATHS))
def read_record(request: pytest.FixtureRequest) -> RecordReader:
    return READ_PATHS[request.param]


def test_every_event_type_in_the_api_has_a_model() -> None:
    missing = [event_type for event_type in API_EVENT_TYPES if event_type not in EVENT_MODELS]
    assert missing == []


def test_the_catalogue_has_no_event_type_the_api_does_not_list() -> None:
    assert set(EVENT_MODELS) == set(API_EVENT_TYPES)


@pytest.mark.parametrize("event_type", API_EVENT_TYPES)
def test_each_model_is_registered_under_its_own_type(event_type: str) -> None:
    assert EVENT_MODELS[event_type].event_type == event_type


@pytest.mark.parametrize("event_type", API_EVENT_TYPES)
def test_every_model_has_an_example(event_type: str) -> None:
    assert len(examples_of(EVENT_MODELS[event_type])) >= 1


@pytest.mark.parametrize(("event_type", "example"), EXAMPLES)
def test_example_validates(event_type: str, example: dict[str, Any]) -> None:
    EVENT_MODELS[event_type].model_validate(example)


@pytest.mark.parametrize(("event_type", "example"), EXAMPLES)
def test_example_round_trips_through_a_kafka_record(
    event_type: str, example: dict[str, Any], read_record: RecordReader
) -> None:
    original = EVENT_MODELS[event_type].model_validate(example)
    headers, value = make_event(original, source=SOURCE).to_kafka()

    decoded = read_record(headers, value)

    assert type(decoded) is type(original)
    assert decoded == original


@pytest.mark.parametrize("event_type", API_EVENT_TYPES)
def test_binary_mode_headers_carry_the_attributes(event_type: str) -> None:
    data = example_event(event_type)
    event = make_event(data, source=SOURCE)
    _, _, subject_field = ROUTING[event_type]

    headers = header_dict(event.to_kafka()[0])

    assert headers["ce_specversion"] == "1.0"
    assert headers["ce_id"] == event.id
    assert headers["ce_source"] == SOURCE
    assert headers["ce_type"] == event_type
    assert headers["ce_subject"] == str(getattr(data, subject_field))
    assert headers["ce_dataschema"] == f"urn:attendance:schema:{event_type}:{type(data).version}"
    assert headers["content-type"] == "application/json"
    assert "ce_traceparent" not in headers


def test_time_header_is_iso_8601_with_a_timezone() -> None:
    headers = header_dict(make_event(example_event("attendance.alert.raised"), source=SOURCE).to_kafka()[0])

    time = datetime.fromisoformat(headers["ce_time"])

    assert time.tzinfo is not None
    assert time.utcoffset() == timedelta(0)


def test_each_event_gets_a_fresh_id() -> None:
    data = example_event("attendance.alert.raised")

    assert make_event(data, source=SOURCE).id != make_event(data, source=SOURCE).id


@pytest.mark.parametrize("event_type", API_EVENT_TYPES)
def test_record_value_is_the_json_of_data_only(event_type: str) -> None:
    data = example_event(event_type)
    event = make_event(data, source=SOURCE)

    value = json.loads(event.to_kafka()[1])

    assert value == data.model_dump(mode="json")
    assert not {"specversion", "id", "source", "data"} & set(value)


@pytest.mark.parametrize("event_type", API_EVENT_TYPES)
def test_topic_and_key_follow_the_entity(event_type: str) -> None:
    data = example_event(event_type)
    topic, key_field, _ = ROUTING[event_type]

    assert data.topic == topic
    assert data.key() == getattr(data, key_field)


def test_a_case_event_is_keyed_by_family_not_by_case() -> None:
    data = CaseOpened.model_validate(examples_of(CaseOpened)[0])

    assert data.key() == data.family_key
    assert data.key() != data.subject()


def test_marks_are_keyed_by_school_urn() -> None:
    data = example_event("attendance.mark.recorded")

    assert data.key() == "100001"


def test_a_record_without_ce_headers_is_refused(read_record: RecordReader) -> None:
    value = json.dumps(examples_of(AlertRaised)[0]).encode()

    with pytest.raises(EnvelopeError):
        read_record([("content-type", b"application/json")], value)


def test_a_record_with_no_headers_at_all_is_refused(read_record: RecordReader) -> None:
    with pytest.raises(EnvelopeError):
        read_record(None, b"{}")


def test_a_non_json_value_is_refused(read_record: RecordReader) -> None:
    headers, _ = make_event(example_event("attendance.alert.raised"), source=SOURCE).to_kafka()

    with pytest.raises(EnvelopeError):
        read_record(headers, b"not json {")


def test_a_json_array_value_is_refused(read_record: RecordReader) -> None:
    headers, _ = make_event(example_event("attendance.alert.raised"), source=SOURCE).to_kafka()

    with pytest.raises(EnvelopeError):
        read_record(headers, b'[{"upn": "A801200115001"}]')


def test_an_empty_value_is_refused(read_record: RecordReader) -> None:
    headers, _ = make_event(example_event("attendance.alert.raised"), source=SOURCE).to_kafka()

    with pytest.raises(EnvelopeError):
        read_record(headers, None)


def test_an_unknown_event_type_is_refused(read_record: RecordReader) -> None:
    event = CloudEvent(source=SOURCE, type="attendance.pupil.teleported", data={"upn": "A801200115001"})

    with pytest.raises(EnvelopeError, match="unknown event type"):
        read_record(*event.to_kafka())


def test_a_known_type_with_an_unknown_schema_version_is_refused(read_record: RecordReader) -> None:
    data = example_event("attendance.alert.raised")
    event = make_event(data, source=SOURCE).model_copy(
        update={"dataschema": "urn:attendance:schema:attendance.alert.raised:99"}
    )

    with pytest.raises(EnvelopeError, match="dataschema"):
        read_record(*event.to_kafka())


def test_data_failing_validation_is_refused(read_record: RecordReader) -> None:
    event = CloudEvent(
        source=SOURCE,
        type="attendance.alert.raised",
        dataschema=AlertRaised.dataschema(),
        data={"alert_id": "a1", "type": "not_an_alert_type", "upn": "A801200115001"},
    )

    with pytest.raises(EnvelopeError, match="invalid data"):
        read_record(*event.to_kafka())


def test_traceparent_survives_the_round_trip() -> None:
    event = make_event(example_event("attendance.alert.raised"), source=SOURCE, traceparent=TRACEPARENT)
    headers, value = event.to_kafka()

    assert header_dict(headers)["ce_traceparent"] == TRACEPARENT
    assert CloudEvent.from_kafka(headers, value).traceparent == TRACEPARENT


def test_all_attributes_survive_the_round_trip() -> None:
    event = make_event(example_event("attendance.case.opened"), source="casework", traceparent=TRACEPARENT)

    assert CloudEvent.from_kafka(*event.to_kafka()) == event


def test_structured_mode_is_a_json_object_with_the_attributes_and_data() -> None:
    data = example_event("attendance.alert.raised")
    event = make_event(data, source="alerts")

    structured = json.loads(json.dumps(event.structured()))

    assert structured["specversion"] == "1.0"
    assert structured["id"] == event.id
    assert structured["type"] == "attendance.alert.raised"
    assert structured["source"] == "alerts"
    assert structured["data"] == data.model_dump(mode="json")
    assert "traceparent" not in structured


ALERT_DATA_FIELDS = {"alert_id", "type", "school_urn", "la_code", "upn", "date", "raised_at", "rule_version"}
PERSONAL_WORDS = ("name", "phone", "email", "contact", "address", "birth")


@pytest.mark.parametrize("model", [AlertRaised, AlertCleared])
def test_alert_events_carry_no_names_or_contact_details(model: type[EventData]) -> None:
    personal = [
        field for field in model.model_fields if any(word in field.lower() for word in PERSONAL_WORDS)
    ]

    assert personal == []


@pytest.mark.parametrize("model", [AlertRaised, AlertCleared])
def test_alert_events_carry_the_thin_webhook_fields(model: type[EventData]) -> None:
    assert set(model.model_fields) >= ALERT_DATA_FIELDS


@pytest.mark.parametrize("model", [AlertRaised, AlertCleared])
def test_alert_examples_carry_no_names_or_contact_details(model: type[EventData]) -> None:
    for example in examples_of(model):
        text = json.dumps(example).lower()
        assert "@" not in text
        assert not any(f'"{word}' in text for word in PERSONAL_WORDS)


class _MarkView(TypedDict):
    upn: str
    date: date


class _MarksView(TypedDict):
    school_urn: str
    marks: list[_MarkView]


def test_a_reader_gives_its_own_view_of_the_payload_and_refuses_what_it_cannot_read() -> None:
    reader = TypeAdapter(_MarksView).validate_json
    headers, value = make_event(example_event("attendance.mark.recorded"), source=SOURCE).to_kafka()
    event = CloudEvent.from_kafka(headers, value, data=False)

    view = read(event, value, reader)

    assert view == {"school_urn": "100001", "marks": [{"upn": "A801200115001", "date": date(2026, 9, 7)}]}
    with pytest.raises(EnvelopeError, match="invalid data"):
        read(
            event, b'{"school_urn": "100001", "marks": [{"upn": "A801200115001", "date": "7 Sept"}]}', reader
        )
