"""A fetch's records of several partitions are applied in the order they were published (by record
timestamp), each partition's own order kept: a report published before the alert it explains is
applied first, whichever partition the broker's answer lists first."""

from __future__ import annotations

from aiokafka import ConsumerRecord

from attendance_common.messaging.consumer import in_time_order


def record(topic: str, offset: int, timestamp: int) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(
        topic=topic,
        partition=0,
        offset=offset,
        timestamp=timestamp,
        timestamp_type=0,
        key=b"A801200115001",
        value=b"",
        checksum=None,
        serialized_key_size=0,
        serialized_value_size=0,
        headers=[],
    )


def test_records_of_two_topics_are_merged_by_when_they_were_published():
    alerts = [record("attendance.alerts", 7, 1_000_250)]
    requests = [record("attendance.requests", 3, 1_000_020), record("attendance.requests", 4, 1_000_900)]

    merged = in_time_order([alerts, requests])

    assert [(r.topic, r.offset) for r in merged] == [
        ("attendance.requests", 3),
        ("attendance.alerts", 7),
        ("attendance.requests", 4),
    ]


def test_a_partitions_own_order_is_kept_even_if_its_clock_stepped_back():
    pupils = [record("attendance.pupils", 1, 500), record("attendance.pupils", 2, 400)]
    alerts = [record("attendance.alerts", 9, 450)]

    merged = in_time_order([pupils, alerts])

    assert [r.offset for r in merged if r.topic == "attendance.pupils"] == [1, 2]
