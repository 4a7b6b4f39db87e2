"""Each LA's own topic over the real broker (api.md Part 2, "LA event streams").

Two LAs, pupils in both: alerts raised and cleared, a family referred across the two, a pupil
deleted from roll, all published on the shared topics as their services publish them. The real
notifications worker writes `attendance.la.{la_code}`; an LA's consumer, reading its topic from the
start, finds exactly its own pupils' events, thin, keyed by UPN, in order, nothing of the other
LA's; redelivered events, a restarted worker and a replay past the inbox double nothing; and the
LA's webhook received the same events (same id, envelope and data).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from notifications_support import NOW, auth, new_upn, new_urn
from sqlalchemy import func, select
from standardwebhooks.webhooks import Webhook

from attendance_common.db import Database
from attendance_common.events.alerts import AlertCleared, AlertRaised, Evidence
from attendance_common.events.base import EventData, dlq_topic
from attendance_common.events.casework import (
    AgreedAction,
    CasePupil,
    MeetingAttendee,
    PlanAgreed,
    PlanEnded,
    PlanLead,
    PlanReviewed,
    PlanTarget,
    ReferralMade,
    SupportMeetingHeld,
)
from attendance_common.events.catalog import decode
from attendance_common.events.envelope import CloudEvent, make_event
from attendance_common.events.outward import LA_DATA, la_group, la_topic
from attendance_common.events.registers import Characteristics, PupilDeleted, PupilUpserted, SchoolUpserted
from attendance_common.messaging import Received
from attendance_common.messaging.outbox import OutboxRow
from attendance_common.migrations import upgrade_database
from attendance_common.testing.workers import eventually, running
from notifications import la_streams
from notifications.delivery import la_events
from notifications.main import MIGRATIONS, create_app
from notifications.worker import make_worker

pytestmark = pytest.mark.integration
SOURCES = {"attendance.alerts": "alerts", "attendance.cases": "casework", "attendance.pupils": "registers"}


async def unused_la_codes(bootstrap: str, n: int) -> list[str]:
    """LA codes no test has written a topic for on this session's broker."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
    finally:
        await admin.close()
    codes: list[str] = []
    while len(codes) < n:
        code = f"{uuid.uuid4().int % 900 + 100}"
        if la_topic(code) not in existing and code not in codes and code != "380":
            codes.append(code)
    return codes


async def describe(bootstrap: str, topics: list[str]) -> dict[str, int]:
    """Partitions per topic, for those of `topics` that exist."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        found = await admin.describe_topics([t for t in topics if t in existing])
    finally:
        await admin.close()
    return {t["topic"]: len(t["partitions"]) for t in found if t["error_code"] == 0}


async def read_topic(bootstrap: str, topic: str, group: str | None = None) -> list[dict[str, Any]]:
    """What an LA's consumer reads from the start of its topic (once it exists: reading a topic
    that does not would have Tansu create it): per record its key, partition, offset, `ce_*`
    headers and event."""
    if topic not in await describe(bootstrap, [topic]):
        return []
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    records: list[dict[str, Any]] = []
    try:
        empty = 0
        while empty < 3:
            batch = await consumer.getmany(timeout_ms=300)
            empty = 0 if batch else empty + 1
            for partition_records in batch.values():
                for r in partition_records:
                    headers = {name: value.decode() for name, value in r.headers}
                    records.append(
                        {
                            "key": r.key.decode(),
                            "partition": r.partition,
                            "offset": r.offset,
                            "headers": headers,
                            "event": CloudEvent.from_kafka(r.headers, r.value),
                        }
                    )
    finally:
        await consumer.stop()
    return records


class World:
    """Two LAs, a school in each, and what their services publish on the shared topics."""

    def __init__(self, producer: AIOKafkaProducer, la_a: str, la_b: str) -> None:
        self.producer = producer
        self.la = {"a": la_a, "b": la_b}
        self.urn = {"a": new_urn(), "b": new_urn()}
        self.sent: list[CloudEvent] = []

    async def publish(self, data: EventData) -> CloudEvent:
        event = make_event(data, source=SOURCES[data.topic])
        await self.publish_event(event, data)
        return event

    async def publish_event(self, event: CloudEvent, data: EventData) -> None:
        headers, value = event.to_kafka()
        await self.producer.send_and_wait(data.topic, value=value, key=data.key().encode(), headers=headers)
        self.sent.append(event)

    async def school(self, side: str) -> None:
        await self.publish(
            SchoolUpserted(urn=self.urn[side], name=f"School {side}", la_code=self.la[side], phase="primary")
        )

    async def pupil(self, side: str) -> str:
        upn = new_upn()
        await self.publish(
            PupilUpserted(
                school_urn=self.urn[side],
                la_code=self.la[side],
                upn=upn,
                given_name="Ada",
                family_name="Lovelace",
                year_group="6",
                start_date=dt.date(2025, 9, 1),
                characteristics=Characteristics(),
            )
        )
        return upn

    async def raise_alert(self, side: str, upn: str, kind: str, day: int = 16) -> AlertRaised:
        alert = AlertRaised(
            alert_id=str(uuid.uuid4()),
            type=kind,  # type: ignore[arg-type]
            school_urn=self.urn[side],
            la_code=self.la[side],
            upn=upn,
            date=dt.date(2026, 11, day),
            raised_at=NOW,
            rule_version="2024.1",
            evidence=Evidence(figures={"rate": 0.6, "numerator": 30, "denominator": 50}),
        )
        await self.publish(alert)
        return alert

    async def clear(self, side: str, alert: AlertRaised) -> None:
        await self.publish(
            AlertCleared(
                **alert.model_dump(exclude={"evidence"}),
                cleared_at=NOW + dt.timedelta(days=7),
                reason="attendance improved",
            )
        )


def thin_keys(event_type: str) -> set[str]:
    return set(LA_DATA[event_type].model_fields)


async def carries(bootstrap: str, la_code: str, alert_id: str) -> bool:
    """Whether the LA's topic holds an event about this alert."""
    records = await read_topic(bootstrap, la_topic(la_code))
    return any(r["event"].data.get("alert_id") == alert_id for r in records)


async def holds(bootstrap: str, la_code: str, event_type: str, **data: str) -> bool:
    """Whether the LA's topic holds an event of this type with these data fields."""
    records = await read_topic(bootstrap, la_topic(la_code))
    return any(r["event"].type == event_type and data.items() <= r["event"].data.items() for r in records)


async def test_each_la_reads_its_own_pupils_events_thin_in_order_once_as_its_webhook(
    backend, test_databases, kafka_bootstrap, notifications_settings, stand_in
):
    url = test_databases.create("notifications", backend=backend)
    upgrade_database(MIGRATIONS, url)
    settings = notifications_settings.model_copy(update={"database_url": url, "delivery_poll_seconds": 0.05})
    la_a, la_b = await unused_la_codes(kafka_bootstrap, 2)
    hook = f"la-stream-{la_a}-{uuid.uuid4().hex[:6]}"
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, enable_idempotence=False, acks="all")
    await producer.start()
    world = World(producer, la_a, la_b)
    app = create_app(settings)
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://n") as client,
            running(make_worker(settings), from_now=True) as task,
        ):
            # LA a's webhook asks for everything an LA can be sent, every alert type.
            body = {"url": stand_in.hook(hook), "event_types": list(la_events.EVENT_TYPES)}
            response = await client.post("/v1/subscriptions", json=body, headers=auth("la_officer", la=la_a))
            assert response.status_code == 201, response.text
            secret = response.json()["secret"]

            # Schools and pupils, alerts raised and cleared, a family referred across the two LAs,
            # a pupil deleted from roll.
            await world.school("a")
            await world.school("b")
            a1, a2 = await world.pupil("a"), await world.pupil("a")
            b1, b2 = await world.pupil("b"), await world.pupil("b")
            first_a1 = await world.raise_alert("a", a1, "first_day_absence")
            severe_a1 = await world.raise_alert("a", a1, "severe_absence")
            severe_b1 = await world.raise_alert("b", b1, "severe_absence")
            await world.raise_alert("a", a2, "ten_day_unauthorised")
            await world.raise_alert("b", b2, "first_day_absence")
            await world.clear("a", first_a1)
            await world.clear("a", severe_a1)
            await world.clear("b", severe_b1)
            case_id = str(uuid.uuid4())
            await world.publish(
                ReferralMade(
                    case_id=case_id,
                    family_key=f"fam_{case_id[:8]}",
                    pupils=[
                        CasePupil(school_urn=world.urn["a"], upn=a2, la_code=la_a),
                        CasePupil(school_urn=world.urn["b"], upn=b2, la_code=la_b),
                    ],
                    to="local_authority",
                    reason="ten_day_unauthorised",
                    upn=None,  # the whole family: each LA hears of its own pupil alone
                    made_at=NOW,
                )
            )
            # The deletion comes from another service on another topic, so nothing orders it after
            # the referral until the referral has gone through, as it would have in life.
            await eventually(
                lambda: holds(kafka_bootstrap, la_b, "attendance.referral.made", case_id=case_id),
                what="the referral on LA b's topic",
                tasks=(task,),
            )
            await world.publish(
                PupilDeleted(
                    school_urn=world.urn["b"],
                    la_code=la_b,
                    upn=b2,
                    given_name="Ada",
                    family_name="Lovelace",
                    ground="moved_away",
                    date=dt.date(2026, 11, 20),
                )
            )
            expected = {
                "a": [
                    *[(a1, "alert.raised"), (a1, "alert.raised"), (a2, "alert.raised")],
                    *[(a1, "alert.cleared"), (a1, "alert.cleared"), (a2, "referral.made")],
                ],
                "b": [
                    *[(b1, "alert.raised"), (b2, "alert.raised"), (b1, "alert.cleared")],
                    *[(b2, "referral.made"), (b2, "pupil.deleted")],
                ],
            }

            async def on_topic(side: str) -> list[dict[str, Any]] | None:
                records = await read_topic(kafka_bootstrap, la_topic(world.la[side]))
                return records if len(records) >= len(expected[side]) else None

            await eventually(lambda: on_topic("a"), what="LA a's topic", tasks=(task,))
            await eventually(lambda: on_topic("b"), what="LA b's topic", tasks=(task,))

            async def webhooks() -> list[dict[str, Any]] | None:
                received = [Webhook(secret).verify(r.body, r.headers) for r in stand_in.at(f"/hooks/{hook}")]
                # LA a's six: first-day and severe raised and cleared, ten-day raised, the referral
                return received if len(received) >= len(expected["a"]) else None

            webhook_events = await eventually(webhooks, what="LA a's webhooks", tasks=(task,))

            # Redelivery: every record the worker applied, published again; then one new event.
            for event in list(world.sent):
                await world.publish_event(event, decode(event))
            marker = await world.raise_alert("a", a1, "fifteen_day_illness")
            expected["a"].append((a1, "alert.raised"))
            await eventually(
                lambda: carries(kafka_bootstrap, la_a, marker.alert_id), what="the event after", tasks=(task,)
            )

        # A restarted worker (same database, same group), and an event after it.
        async with running(make_worker(settings)) as task:
            after = await world.raise_alert("b", b1, "fifteen_day_illness")
            expected["b"].append((b1, "alert.raised"))
            await eventually(
                lambda: carries(kafka_bootstrap, la_b, after.alert_id), what="the event after", tasks=(task,)
            )
    finally:
        await producer.stop()

    # A replay past the inbox (every event applied once more, as after the inbox was purged).
    database = Database(settings.resolved_database_url)
    try:
        async with database.transaction() as session:
            staged = (
                select(func.count()).select_from(OutboxRow).where(OutboxRow.topic.like("attendance.la.%"))
            )
            before = await session.scalar(staged)
            replay = [Received(e, decode(e), "replay", 0, n, None) for n, e in enumerate(world.sent)]
            await la_streams.on_events(session, [r for r in replay if r.event.type in LA_DATA])
            assert await session.scalar(staged) == before == len(expected["a"]) + len(expected["b"])
    finally:
        await database.dispose()

    # Each LA's consumer: its own group, from the start of its own topic.
    final = {
        "a": await read_topic(kafka_bootstrap, la_topic(la_a), la_group(la_a)),
        "b": await read_topic(kafka_bootstrap, la_topic(la_b), la_group(la_b)),
    }
    for side, other in (("a", "b"), ("b", "a")):
        records = final[side]
        ours = {upn for upn, _ in expected[side]}
        theirs = {upn for upn, _ in expected[other]} | {world.urn[other], world.la[other]}
        # Exactly its own pupils' events, each once (nothing doubled), keyed by UPN.
        ids = [r["event"].id for r in records]
        assert len(ids) == len(set(ids)), f"LA {side}: an event twice"
        assert sorted((r["key"], r["event"].type.removeprefix("attendance.")) for r in records) == sorted(
            expected[side]
        )
        for r in records:
            event = r["event"]
            assert r["key"] == event.data["upn"] and r["key"] in ours
            assert event.data["la_code"] == world.la[side]
            assert not theirs & set(json.dumps(event.data).split('"')), "another LA's pupil or school"
            # Thin: exactly the fields the LA may see; the envelope with ce_subject, no trace context.
            assert set(event.data) == thin_keys(event.type)
            assert {"ce_id", "ce_source", "ce_type", "ce_subject", "ce_time", "ce_dataschema"} <= set(
                r["headers"]
            )
            assert "ce_traceparent" not in r["headers"]
        # In order per pupil: each pupil's events on one partition, in the order they happened.
        for upn in ours:
            mine = sorted((r for r in records if r["key"] == upn), key=lambda r: r["offset"])
            assert len({r["partition"] for r in mine}) == 1
            assert [r["event"].type.removeprefix("attendance.") for r in mine] == [
                kind for u, kind in expected[side] if u == upn
            ]

    # The topics were created by the relay (the configured partitions, a `.dlq`), not by the broker.
    topics = [la_topic(la_a), dlq_topic(la_topic(la_a)), la_topic(la_b), dlq_topic(la_topic(la_b))]
    assert await describe(kafka_bootstrap, topics) == dict.fromkeys(topics, settings.kafka_partitions)

    # LA a's webhook received the same events as its topic: same id, envelope and data (a subscription
    # without alert_types takes every alert type, routing aside). The topic also has the events
    # published after the webhooks were read.
    on_topic_a = {r["event"].id: r["event"] for r in final["a"]}
    for delivered in webhook_events:
        assert on_topic_a[delivered["id"]].structured() == delivered
    hooked = {d["id"] for d in webhook_events}
    assert sorted((e.type, e.data["type"]) for e in on_topic_a.values() if e.id not in hooked) == [
        ("attendance.alert.raised", "fifteen_day_illness"),
    ]


async def test_plan_events_reach_only_the_pupils_la_and_a_meeting_only_its_schools_la_thin_as_webhooks(
    backend, test_databases, kafka_bootstrap, notifications_settings, stand_in
):
    """api.md Part 2: the LA topic carries "the Part 2 plan and support-meeting events". A plan on
    the case of a pupil of LA a (agreed, reviewed, ended) reaches a's topic alone, keyed by the UPN,
    thin (no lead email, no notes, no author); a targeting support meeting at a school of LA b
    reaches b's topic alone, keyed by the school's URN, without attendees or notes. Each LA's
    webhook subscribed to those types receives the same events."""
    url = test_databases.create("notifications", backend=backend)
    upgrade_database(MIGRATIONS, url)
    settings = notifications_settings.model_copy(update={"database_url": url, "delivery_poll_seconds": 0.05})
    la_a, la_b = await unused_la_codes(kafka_bootstrap, 2)
    hooks = {side: f"la-plans-{side}-{uuid.uuid4().hex[:6]}" for side in ("a", "b")}
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, enable_idempotence=False, acks="all")
    await producer.start()
    world = World(producer, la_a, la_b)
    app = create_app(settings)
    plan_types = ["attendance.plan.agreed", "attendance.plan.reviewed", "attendance.plan.ended"]
    meeting_type = "attendance.support_meeting.held"
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://n") as client,
            running(make_worker(settings), from_now=True) as task,
        ):
            secrets: dict[str, str] = {}
            for side, types in (("a", plan_types), ("b", [*plan_types, meeting_type])):
                body = {"url": stand_in.hook(hooks[side]), "event_types": types}
                response = await client.post(
                    "/v1/subscriptions", json=body, headers=auth("la_officer", la=world.la[side])
                )
                assert response.status_code == 201, response.text
                secrets[side] = response.json()["secret"]

            await world.school("a")
            await world.school("b")
            a1 = await world.pupil("a")
            case_id, plan_id = str(uuid.uuid4()), str(uuid.uuid4())
            case = {
                "case_id": case_id,
                "family_key": f"fam_{case_id[:8]}",
                "pupils": [CasePupil(school_urn=world.urn["a"], upn=a1, la_code=la_a)],
                "plan_id": plan_id,
                "kind": "joint_school_la",
            }
            await world.publish(
                PlanAgreed(
                    **case,
                    lead=PlanLead(name="Sam Patel", role="Attendance officer", organisation="LA"),
                    targets=[PlanTarget(description="In school every Monday", attendance_rate=0.9)],
                    review_on=dt.date(2027, 1, 15),
                    agreed_with_family=True,
                    agreed_at=NOW,
                    by="lead@school.example",
                )
            )
            await world.publish(
                PlanReviewed(
                    **case,
                    review_id=str(uuid.uuid4()),
                    held_on=dt.date(2027, 1, 15),
                    progress="improving",
                    review_on=dt.date(2027, 2, 12),
                    reviewed_at=NOW,
                    by="lead@school.example",
                )
            )
            await world.publish(PlanEnded(**case, outcome="attendance_improved", ended_at=NOW, by="la"))
            meeting_id = str(uuid.uuid4())
            await world.publish(
                SupportMeetingHeld(
                    meeting_id=meeting_id,
                    la_code=la_b,
                    school_urn=world.urn["b"],
                    held_on=dt.date(2026, 12, 2),
                    attendees=[MeetingAttendee(name="Jo Bloggs", role="Head", organisation="School b")],
                    agreed=[AgreedAction(case_id=case_id, action_id=str(uuid.uuid4()), due_on=NOW.date())],
                    recorded_at=NOW,
                    by="la-officer",
                )
            )

            async def on_topic(side: str, n: int) -> list[dict[str, Any]] | None:
                records = await read_topic(kafka_bootstrap, la_topic(world.la[side]))
                return records if len(records) >= n else None

            topic_a = await eventually(lambda: on_topic("a", 3), what="LA a's topic", tasks=(task,))
            topic_b = await eventually(lambda: on_topic("b", 1), what="LA b's topic", tasks=(task,))

            async def webhooks(side: str, n: int) -> list[dict[str, Any]] | None:
                received = [
                    Webhook(secrets[side]).verify(r.body, r.headers)
                    for r in stand_in.at(f"/hooks/{hooks[side]}")
                ]
                return received if len(received) >= n else None

            hooked_a = await eventually(lambda: webhooks("a", 3), what="LA a's webhooks", tasks=(task,))
            hooked_b = await eventually(lambda: webhooks("b", 1), what="LA b's webhooks", tasks=(task,))
            # Nothing more arrives: the worker is past the meeting (the last event) on both.
            await asyncio.sleep(0.5)
            topic_a = await read_topic(kafka_bootstrap, la_topic(la_a))
            topic_b = await read_topic(kafka_bootstrap, la_topic(la_b))
    finally:
        await producer.stop()

    # LA a: the plan's three events about its pupil, in order, keyed by UPN, thin.
    assert [(r["key"], r["event"].type) for r in sorted(topic_a, key=lambda r: r["offset"])] == [
        (a1, t) for t in plan_types
    ]
    for r in topic_a:
        event = r["event"]
        assert set(event.data) == thin_keys(event.type)
        assert (event.data["upn"], event.data["la_code"], event.data["school_urn"]) == (
            a1,
            la_a,
            world.urn["a"],
        )
        assert r["headers"]["ce_subject"] == case_id and "ce_traceparent" not in r["headers"]
        text = json.dumps(event.data)
        assert "lead@school.example" not in text and world.urn["b"] not in text
    agreed = next(r["event"].data for r in topic_a if r["event"].type == plan_types[0])
    assert set(agreed["lead"]) == {"name", "role", "organisation"}
    assert set(agreed["targets"][0]) == {"description", "attendance_rate", "by"}

    # LA b: the meeting alone, keyed by its school's URN, thin: no attendee, no notes.
    (meeting,) = topic_b
    assert meeting["key"] == world.urn["b"]
    assert meeting["event"].type == meeting_type and meeting["headers"]["ce_subject"] == meeting_id
    assert set(meeting["event"].data) == thin_keys(meeting_type) == {
        "meeting_id", "la_code", "school_urn", "held_on", "agreed", "recorded_at",
    }  # fmt: skip
    assert (meeting["event"].data["la_code"], meeting["event"].data["school_urn"]) == (la_b, world.urn["b"])
    assert "Jo Bloggs" not in json.dumps(meeting["event"].data)

    # Each LA's webhook got the very events of its topic (and b nothing of a's plan).
    assert sorted(json.dumps(d, sort_keys=True) for d in hooked_a) == sorted(
        json.dumps(r["event"].structured(), sort_keys=True) for r in topic_a
    )
    assert [d["id"] for d in hooked_b] == [meeting["event"].id]
    assert hooked_b[0] == meeting["event"].structured()
