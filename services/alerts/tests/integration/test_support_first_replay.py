"""emerging_absence and twenty_day_continuous_absence through the real broker: the worker applies a
school's registers as registers publishes them (an AM and a PM register a day, an amendment),
publishes the alerts with their evidence, and a replay of the topics from the start into an empty
database (a new consumer group) ends with the same open alerts.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from alerts_broker_support import TopicReader, alerts_in, applied, fresh_alerts_settings
from alerts_support import NOW, new_upn, new_urn, school_days

from alerts.worker import CONSUMER
from alerts.worker import make_worker as make_alerts_worker
from attendance_common.db import Database
from attendance_common.events.base import ALERTS_TOPIC, EventData
from attendance_common.events.envelope import make_event
from attendance_common.events.registers import (
    AmendedMark,
    MarksAmended,
    MarksRecorded,
    RecordedMark,
    SchoolUpserted,
)
from attendance_common.messaging import Worker
from attendance_common.messaging.kafka import make_producer
from attendance_common.testing.workers import eventually, running

pytestmark = pytest.mark.integration
DAYS = school_days(dt.date(2026, 9, 7), 26)  # Mon 7 Sep - Mon 12 Oct 2026
PRESENT = ("/", "\\")


class School:
    """Three pupils: one slipping lately, one missing from day 5, one absent at the very start."""

    def __init__(self) -> None:
        self.urn, self.la_code = new_urn(), "380"
        self.slipping, self.missing, self.early = new_upn(), new_upn(), new_upn()

    def day(self, upn: str, index: int) -> tuple[str, str]:
        if upn == self.slipping and index in (20, 23):
            return ("O", "I")  # 4 of the last 40 sessions, 4 of 52 this year: emerging, not persistent
        if upn == self.missing and index >= 5:
            return ("N", "O") if index % 2 else ("G", "N")  # 21 school days: missing education
        if upn == self.early and index < 2:
            return ("O", "O")  # emerging, then persistent, then neither as the year goes on
        return PRESENT

    def events(self) -> list[EventData]:
        upns = [self.slipping, self.missing, self.early]
        events: list[EventData] = [
            SchoolUpserted(urn=self.urn, name="Early Help Primary", la_code=self.la_code, phase="primary")
        ]
        for index, day in enumerate(DAYS):
            for session in (0, 1):
                marks = [
                    RecordedMark(
                        upn=upn,
                        date=day,
                        session="AM" if session == 0 else "PM",
                        code=self.day(upn, index)[session],
                        recorded_at=NOW,
                    )
                    for upn in upns
                ]
                events.append(MarksRecorded(school_urn=self.urn, la_code=self.la_code, marks=marks))
        # The family phoned: ill on day 8, not missing. The run is now days 9-25 (17 days).
        amendment = AmendedMark(
            upn=self.missing,
            date=DAYS[8],
            session="AM",
            code="I",
            previous_code="G",
            reason="parent phoned",
            recorded_at=NOW,
            changed_by_sub="mis",
            changed_by_role="mis",
        )
        events.append(MarksAmended(school_urn=self.urn, la_code=self.la_code, marks=[amendment]))
        return events


async def publish(settings, events: list[EventData]) -> set[str]:
    producer = make_producer(settings)
    await producer.start()
    ids: set[str] = set()
    try:
        for data in events:
            event = make_event(data, source="registers")
            headers, value = event.to_kafka()
            await producer.send_and_wait(data.topic, value=value, key=data.key().encode(), headers=headers)
            ids.add(event.id)
    finally:
        await producer.stop()
    return ids


async def all_alerts(database: Database, urn: str) -> list[tuple[str, str, str]]:
    return sorted((a.type, a.upn, a.status) for a in await alerts_in(database, urn=urn))


@pytest.fixture
async def databases(backend, test_databases, kafka_bootstrap) -> AsyncIterator[tuple]:
    a = fresh_alerts_settings(test_databases, backend, kafka_bootstrap)
    b = fresh_alerts_settings(test_databases, backend, kafka_bootstrap)
    db_a, db_b = Database(a.resolved_database_url), Database(b.resolved_database_url)
    yield (a, db_a), (b, db_b)
    await db_a.dispose()
    await db_b.dispose()


async def test_the_worker_raises_both_and_a_replay_from_the_start_yields_the_same_alerts(
    databases, kafka_bootstrap
):
    (settings_a, db_a), (settings_b, db_b) = databases
    school = School()

    async with running(make_alerts_worker(settings_a)) as worker_a:
        ids = await publish(settings_a, school.events())

        async def a_done() -> bool:
            return await applied(db_a, CONSUMER.name, ids)

        await eventually(a_done, what="worker A to apply the school's events", tasks=(worker_a,))
        async with TopicReader(kafka_bootstrap, ALERTS_TOPIC, school.slipping) as reader:
            raised = await reader.until("attendance.alert.raised")
        async with TopicReader(kafka_bootstrap, ALERTS_TOPIC, school.missing) as reader:
            await reader.until("attendance.alert.cleared")
            missing = [r.data for r in reader.records if r.data["type"] == "twenty_day_continuous_absence"]
    built = await all_alerts(db_a, school.urn)

    assert raised.data["type"] == "emerging_absence"
    assert raised.data["evidence"]["figures"]["numerator"] == 4
    assert raised.data["evidence"]["figures"]["window"] == {  # raised by day 23's PM register
        "from": DAYS[4].isoformat(),
        "to": DAYS[23].isoformat(),
        "school_days": 20,
    }
    assert [m["date"] for m in raised.data["evidence"]["marks"]] == [DAYS[20].isoformat()] * 2 + [
        DAYS[23].isoformat()
    ] * 2
    assert [("reason" in r, r.get("reason")) for r in missing] == [
        (False, None),
        (True, "the run was broken by an amendment"),
    ]
    assert missing[0]["evidence"]["figures"] == {
        "school_days": 20,
        "from": DAYS[5].isoformat(),
        "to": DAYS[24].isoformat(),
    }
    assert ("emerging_absence", school.slipping, "open") in built
    assert ("emerging_absence", school.early, "cleared") in built
    assert ("persistent_absence", school.early, "cleared") in built
    assert ("twenty_day_continuous_absence", school.missing, "cleared") in built
    assert ("ten_day_unauthorised", school.missing, "open") in built

    replay = replace(CONSUMER, name=f"alerts-replay-{uuid.uuid4().hex[:8]}")
    worker = Worker(settings_b, Database(settings_b.resolved_database_url), consumers=[replay])
    async with running(worker) as worker_b:

        async def b_done() -> bool:
            return await applied(db_b, replay.name, ids)

        await eventually(b_done, what="worker B to replay the topics", tasks=(worker_b,), timeout=90)
    rebuilt = await all_alerts(db_b, school.urn)
    assert [a for a in rebuilt if a[2] == "open"] == [a for a in built if a[2] == "open"]
