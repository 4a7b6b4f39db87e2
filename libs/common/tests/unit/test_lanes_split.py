"""How a fetch's records are split into lanes: keys kept whole and in order, lanes about even."""

from __future__ import annotations

from aiokafka import ConsumerRecord

from attendance_common.messaging.consumer import split_lanes


def record(key: bytes | None, partition: int, offset: int) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(
        topic="attendance.marks",
        partition=partition,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=key,
        value=b"",
        checksum=None,
        serialized_key_size=0,
        serialized_value_size=0,
        headers=[],
    )


def keys(lane: list[ConsumerRecord[bytes, bytes]]) -> list[tuple[bytes | None, int]]:
    return [(r.key, r.offset) for r in lane]


def test_schools_on_one_partition_still_fill_both_lanes():
    # Five schools, all hashed to one partition, three registers each: two lanes share them.
    records = [record(f"urn{s}".encode(), 3, offset=day * 5 + s) for day in range(3) for s in range(5)]
    lanes = split_lanes(records, 2)
    assert sorted(len(lane) for lane in lanes) == [6, 9]
    for lane in lanes:  # each school's registers stay in one lane, in the order they came
        for school in {r.key for r in lane}:
            offsets = [r.offset for r in lane if r.key == school]
            assert offsets == sorted(offsets)
            assert len(offsets) == 3
    assert {r.key for r in lanes[0]}.isdisjoint({r.key for r in lanes[1]})


def test_records_without_a_key_stay_with_their_partition():
    records = [record(None, p, offset=o) for o in range(3) for p in (0, 1)]
    lanes = split_lanes(records, 2)
    assert [{r.partition for r in lane} for lane in lanes] in ([{0}, {1}], [{1}, {0}])
    assert all([r.offset for r in lane] == [0, 1, 2] for lane in lanes)


def test_one_lane_keeps_the_fetch_order_and_no_lane_is_empty():
    records = [record(b"a", 0, 0), record(b"b", 1, 0), record(b"a", 0, 1)]
    assert keys(split_lanes(records, 1)[0]) == [(b"a", 0), (b"b", 0), (b"a", 1)]
    assert len(split_lanes(records[:1], 4)) == 1
    assert split_lanes([], 2) == []
