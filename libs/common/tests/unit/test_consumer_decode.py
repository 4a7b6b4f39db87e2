"""What a consumer hands its handlers: the whole event (data included) or a reader's view."""

from __future__ import annotations

from typing import Any

from aiokafka import ConsumerRecord
from pydantic import TypeAdapter
from typing_extensions import TypedDict

from attendance_common.events import make_event
from attendance_common.events.registers import MarksRecorded
from attendance_common.messaging import EventConsumer
from attendance_common.settings import ServiceSettings

EXAMPLE = MarksRecorded.model_validate(MarksRecorded.model_json_schema()["examples"][0])


class _Marks(TypedDict):
    school_urn: str


def record() -> ConsumerRecord[Any, Any]:
    headers, value = make_event(EXAMPLE, source="registers").to_kafka()
    return ConsumerRecord("attendance.marks", 0, 7, 0, 0, b"100001", value, None, 6, len(value), headers)


def consumer(reader: Any = None) -> EventConsumer:
    async def handler(session: Any, received: Any) -> None:
        pass

    return EventConsumer(
        name="test",
        topics=["attendance.marks"],
        handlers={MarksRecorded.event_type: handler},
        readers={MarksRecorded.event_type: reader} if reader else {},
        database=None,  # type: ignore[arg-type]  # decoding touches no database
        settings=ServiceSettings(),
        producer=None,  # type: ignore[arg-type]
    )


def test_a_type_without_a_reader_gets_the_model_and_the_whole_event_to_keep_or_forward() -> None:
    item = consumer().decode(record())

    assert item is not None and item.data == EXAMPLE
    assert item.event.data == EXAMPLE.model_dump(mode="json")  # e.g. stored, sent on by webhook
    assert item.value == record().value


def test_a_type_with_a_reader_gets_the_readers_view_and_the_record_value_for_the_dlq() -> None:
    item = consumer(reader=TypeAdapter(_Marks).validate_json).decode(record())

    assert item is not None and item.data == {"school_urn": "100001"}
    assert item.value == record().value
