"""Every accepted mark reaches the broker exactly once, through the outbox and the registers worker."""

from __future__ import annotations

import asyncio
import json
from collections import Counter

import pytest
from aiokafka import AIOKafkaConsumer
from registers_factories import mark, new_upn, pupil_body

from attendance_common.events.base import MARKS_TOPIC
from registers.worker import make_worker

pytestmark = pytest.mark.integration


async def read_marks_events(bootstrap: str, urn: str, *, want_recorded: int, want_amended: int):
    """(recorded marks, amended marks) for school `urn`, read from the start of `attendance.marks`."""
    reader = AIOKafkaConsumer(
        MARKS_TOPIC, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await reader.start()
    recorded: list[tuple[str, str, str, str]] = []
    amended: list[tuple[str, str, str, str, str]] = []
    try:
        async with asyncio.timeout(30):
            while len(recorded) < want_recorded or len(amended) < want_amended:
                for records in (await reader.getmany(timeout_ms=500)).values():
                    for record in records:
                        headers = dict(record.headers)
                        data = json.loads(record.value)
                        if data.get("school_urn") != urn:
                            continue
                        assert record.key == urn.encode()
                        for m in data["marks"]:
                            if headers["ce_type"] == b"attendance.mark.recorded":
                                recorded.append((m["upn"], m["date"], m["session"], m["code"]))
                            else:
                                amended.append(
                                    (m["upn"], m["date"], m["session"], m["previous_code"], m["code"])
                                )
        await asyncio.sleep(1)  # anything doubled would arrive now: read once more
        for records in (await reader.getmany(timeout_ms=1000)).values():
            for record in records:
                data = json.loads(record.value)
                if data.get("school_urn") == urn:
                    recorded.append(("extra", "", "", ""))
    finally:
        await reader.stop()
    return recorded, amended


async def test_every_accepted_mark_is_published_exactly_once(client, school, registers_settings):
    upns = [school.upn] + [new_upn() for _ in range(29)]
    for upn in upns[1:]:
        await client.put(f"/v1/schools/{school.urn}/pupils/{upn}", json=pupil_body(), headers=school.mis)
    dates = ["2026-11-09", "2026-11-10", "2026-11-11"]
    batch = [mark(upn, d, s, "/" if s == "AM" else "\\") for upn in upns for d in dates for s in ("AM", "PM")]
    batch += [mark(new_upn(), "2026-11-09"), mark(upns[0], "2026-11-09", code="H")]  # two rejected
    first = (
        await client.post(f"/v1/schools/{school.urn}/marks", json={"marks": batch}, headers=school.mis)
    ).json()
    resent = (
        await client.post(f"/v1/schools/{school.urn}/marks", json={"marks": batch}, headers=school.mis)
    ).json()
    amendment = [mark(upns[3], "2026-11-10", "PM", "I", reason="was ill")]
    second = (
        await client.post(f"/v1/schools/{school.urn}/marks", json={"marks": amendment}, headers=school.mis)
    ).json()
    assert (first["accepted"], len(first["rejected"])) == (180, 2)
    assert (resent["accepted"], resent["unchanged"]) == (0, 180)
    assert second["amended"] == 1

    worker = make_worker(registers_settings)
    running = asyncio.create_task(worker.run())
    try:
        recorded, amended = await read_marks_events(
            registers_settings.kafka_bootstrap_servers, school.urn, want_recorded=180, want_amended=1
        )
    finally:
        worker.stop.set()
        await asyncio.wait_for(running, timeout=30)
        await worker.database.dispose()

    assert len(recorded) == 180, "one event per accepted mark, no more"
    assert max(Counter(m[:3] for m in recorded).values()) == 1
    assert set(recorded) == {
        (u, d, s, "/" if s == "AM" else "\\") for u in upns for d in dates for s in ("AM", "PM")
    }
    assert amended == [(upns[3], "2026-11-10", "PM", "\\", "I")]
