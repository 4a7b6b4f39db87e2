"""Rebuilding from the topics (architecture.md "Delivery guarantees"): a replay of `attendance.pupils`
and `attendance.marks` from the start into an empty database yields the same open alerts.

One school's four weeks of registers (an AM and a PM register a day, a closure day, an amendment)
are published the way registers publishes them; worker A (the service's own consumer group)
applies them as they arrive; worker B, a new group on a fresh database, then reads both topics
from the start, other tests' events included.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from alerts_broker_support import alerts_in, applied, fresh_alerts_settings
from alerts_support import NOW, new_upn, new_urn, school_days

from alerts.worker import CONSUMER
from alerts.worker import make_worker as make_alerts_worker
from attendance_common.db import Database
from attendance_common.events.base import EventData
from attendance_common.events.envelope import make_event
from attendance_common.events.registers import (
    AmendedMark,
    Characteristics,
    MarksAmended,
    MarksRecorded,
    PupilUpserted,
    RecordedMark,
    SchoolUpserted,
    SocialWorker,
)
from attendance_common.messaging import Worker
from attendance_common.messaging.kafka import make_producer
from attendance_common.testing.workers import eventually, running

pytestmark = pytest.mark.integration
DAYS = school_days(dt.date(2026, 10, 5), 20)  # Mon 5 Oct - Fri 30 Oct 2026
CLOSED = DAYS[9]  # Fri 16 Oct: `#` for everyone, not a school day
PRESENT = ("/", "\\")


class School:
    """One school's pupils and what each is marked, day by day."""

    def __init__(self) -> None:
        self.urn, self.la_code = new_urn(), "380"
        self.present, self.n_once, self.n_amended = new_upn(), new_upn(), new_upn()
        self.truant, self.ill, self.with_social_worker = new_upn(), new_upn(), new_upn()

    def day(self, upn: str, index: int) -> tuple[str, str]:
        if DAYS[index] == CLOSED:
            return ("#", "#")
        if upn == self.n_once and index == 2:
            return ("N", "\\")  # first-day absence, overdue once 5 more school days are recorded
        if upn == self.n_amended and index == 3:
            return ("N", "\\")  # amended to I at the end: nothing stays open
        if upn == self.truant and 4 <= index <= 16:
            return ("O", "O")  # 12 school days (the closure neither counts nor breaks the run)
        if upn == self.ill and index <= 15:
            return ("I", "\\")  # an I session on 15 school days
        if upn == self.with_social_worker and index in (6, 7):
            return ("O", "\\") if index == 6 else ("N", "N")
        return PRESENT

    def events(self) -> list[EventData]:
        """What registers would publish: the school and its pupils, two registers a day, an amendment."""
        upns = [self.present, self.n_once, self.n_amended, self.truant, self.ill, self.with_social_worker]
        events: list[EventData] = [
            SchoolUpserted(urn=self.urn, name="Replay Primary", la_code=self.la_code, phase="primary")
        ]
        for upn in upns:
            social = upn == self.with_social_worker
            events.append(
                PupilUpserted(
                    school_urn=self.urn,
                    la_code=self.la_code,
                    upn=upn,
                    given_name="Ada",
                    family_name="L",
                    year_group="6",
                    start_date=dt.date(2025, 9, 1),
                    characteristics=Characteristics(has_social_worker=social),
                    social_worker=SocialWorker(name="Sam", email="sam@la.example") if social else None,
                )
            )
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
        amendment = AmendedMark(
            upn=self.n_amended,
            date=DAYS[3],
            session="AM",
            code="I",
            previous_code="N",
            reason="parent phoned",
            recorded_at=NOW,
            changed_by_sub="mis",
            changed_by_role="mis",
        )
        events.append(MarksAmended(school_urn=self.urn, la_code=self.la_code, marks=[amendment]))
        return events


async def publish(settings, events: list[EventData]) -> set[str]:
    """Publish in order, keyed as registers keys them (UPN, or URN for a school's marks); the event ids."""
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


async def open_alerts(database: Database, urn: str) -> list[tuple[str, str, str | None]]:
    alerts = await alerts_in(database, urn=urn, status="open")
    return sorted((a.type, a.upn, a.date.isoformat() if a.date else None) for a in alerts)


@pytest.fixture
async def databases(backend, test_databases, kafka_bootstrap) -> AsyncIterator[tuple]:
    """Settings and a database handle for worker A and for worker B, each on a fresh database."""
    a = fresh_alerts_settings(test_databases, backend, kafka_bootstrap)
    b = fresh_alerts_settings(test_databases, backend, kafka_bootstrap)
    db_a, db_b = Database(a.resolved_database_url), Database(b.resolved_database_url)
    yield (a, db_a), (b, db_b)
    await db_a.dispose()
    await db_b.dispose()


async def test_rebuilding_from_the_topics_from_the_start_yields_the_same_open_alerts(databases):
    (settings_a, db_a), (settings_b, db_b) = databases
    school = School()

    async with running(make_alerts_worker(settings_a)) as worker_a:
        ids = await publish(settings_a, school.events())

        async def a_done() -> bool:
            return await applied(db_a, CONSUMER.name, ids)

        await eventually(a_done, what="worker A to apply the school's events", tasks=(worker_a,))
    built = await open_alerts(db_a, school.urn)

    replay = replace(CONSUMER, name=f"alerts-replay-{uuid.uuid4().hex[:8]}")
    worker = Worker(settings_b, Database(settings_b.resolved_database_url), consumers=[replay])
    async with running(worker) as worker_b:

        async def b_done() -> bool:
            return await applied(db_b, replay.name, ids)

        await eventually(b_done, what="worker B to replay the topics", tasks=(worker_b,), timeout=90)
    rebuilt = await open_alerts(db_b, school.urn)

    assert {kind for kind, _, _ in built} >= {
        "first_day_absence",
        "overdue_n",
        "social_worker_unexplained_absence",
        "ten_day_unauthorised",
        "penalty_threshold",
        "persistent_absence",
        "fifteen_day_illness",
    }, "the school's registers should open a realistic mix of alerts"
    assert rebuilt == built
