"""Runs of alerts in one fetch are applied set-based (handlers.BATCH_HANDLERS): the same deliveries,
feed messages, statuses, order and counts as the same events applied one by one."""

from __future__ import annotations

import json
from typing import Any

import pytest
from notifications_support import Feed, auth, cleared, contact, new_la, new_upn, new_urn
from sqlalchemy import select

from attendance_common.events.alerts import AlertRaised
from attendance_common.messaging import EventConsumer, Received
from attendance_common.messaging.outbox import OutboxRow
from attendance_common.metrics import NOTIFICATIONS
from notifications.handlers import HANDLERS
from notifications.models import Trigger

pytestmark = pytest.mark.integration


async def parents_of(feed: Feed, upn: str, *, phone: str | None = "07700900001") -> None:
    await feed.pupil(
        upn,
        [
            contact("c1", "Mum", feed.email("mum"), priority=1, phone=phone),
            contact("c2", "Dad", feed.email("dad"), priority=2),
        ],
        social_worker_email=feed.email("sw"),
    )


def raised(feed: Feed, alert: AlertRaised) -> Received:
    return feed.received(alert, source="alerts")


async def triggers(feed: Feed, *keys: str) -> dict[str, tuple[bool, bool]]:
    """(routed, cleared) of each trigger key."""
    async with feed.database.transaction() as session:
        rows = await session.execute(
            select(Trigger.key, Trigger.routed_at, Trigger.cleared_at).where(Trigger.key.in_(keys))
        )
        return {row.key: (row.routed_at is not None, row.cleared_at is not None) for row in rows}


async def test_a_batch_records_a_repeated_alert_once_and_leaves_a_routed_one_alone(feed):
    upn = new_upn()
    await feed.school()
    await parents_of(feed, upn)
    earlier = await feed.raise_alert(upn, "first_day_absence")
    before = await feed.routed(upn)
    again = feed.alert(upn, "persistent_absence", rate=0.12)
    twice = raised(feed, again)
    await feed.apply_fetch([raised(feed, earlier), twice, raised(feed, again), twice])
    assert len(before) == 5
    assert await feed.routed(upn) == sorted(
        [
            *before,
            ("parent", feed.email("dad"), "app", "sent"),
            ("parent", feed.email("dad"), "email", "pending"),
            ("parent", feed.email("mum"), "app", "sent"),
            ("parent", feed.email("mum"), "email", "pending"),
        ]
    )
    assert [m.kind for m in await feed.messages(upn)] == ["first_day_absence"] * 2 + [
        "persistent_absence"
    ] * 2
    sent = [row for row in await feed.outbox(upn) if row.event_type == "attendance.notification.sent"]
    assert len(sent) == 4  # the app messages: two per alert, none for the repeats


async def test_a_batch_routes_known_pupils_and_an_unknown_one_when_it_arrives(feed):
    known, unknown = new_upn(), new_upn()
    await feed.school()
    await parents_of(feed, known)
    first, second = feed.alert(known, "first_day_absence"), feed.alert(unknown, "first_day_absence")
    await feed.apply_fetch([raised(feed, first), raised(feed, second)])
    assert len(await feed.routed(known)) == 5
    assert await feed.routed(unknown) == []
    keys = (f"alert:{first.alert_id}", f"alert:{second.alert_id}")
    assert await triggers(feed, *keys) == {keys[0]: (True, False), keys[1]: (False, False)}

    await parents_of(feed, unknown, phone=None)
    assert await feed.routed(unknown) == sorted(
        [
            ("parent", feed.email("dad"), "app", "sent"),
            ("parent", feed.email("dad"), "email", "pending"),
            ("parent", feed.email("mum"), "app", "sent"),
            ("parent", feed.email("mum"), "email", "pending"),
        ]
    )
    assert (await triggers(feed, keys[1]))[keys[1]] == (True, False)


async def test_a_mixed_batch_does_what_the_same_events_do_one_by_one(
    feed, notifications_database, notifications_settings, client
):
    la = new_la()
    officer = auth("la_officer", sub=f"la-{la}", la=la)
    hook = {"url": "http://127.0.0.1:9/hooks/batch", "event_types": ["attendance.alert.raised"]}
    assert (await client.post("/v1/subscriptions", json=hook, headers=officer)).status_code == 201
    one_by_one = EventConsumer(
        name="notifications",
        topics=[],
        handlers=HANDLERS,  # no batch handlers: each alert on its own
        database=notifications_database,
        settings=notifications_settings,
        producer=None,  # type: ignore[arg-type]  # apply() never dead-letters
    )
    single = Feed(one_by_one, notifications_database, new_urn(), la)
    batched = Feed(feed.consumer, notifications_database, new_urn(), la)
    single.tag = batched.tag  # the same people in both schools
    upns = [new_upn() for _ in range(4)]

    async def scenario(feed: Feed, apply: Any) -> dict[str, Any]:
        """The same morning at the feed's school: a fetch of alerts around a late pupil event."""
        await feed.school()
        await parents_of(feed, upns[0])
        await parents_of(feed, upns[1], phone=None)
        await feed.pupil(upns[2], [contact("c9", "Kim", None, phone="07700900009")])
        repeated = feed.alert(upns[0], "first_day_absence", alert_id=None)
        alerts = [
            repeated,
            feed.alert(upns[0], "severe_absence", rate=0.55, numerator=55, denominator=100),
            feed.alert(upns[1], "first_day_absence"),
            feed.alert(upns[2], "first_day_absence"),
            feed.alert(upns[3], "first_day_absence"),  # its pupil comes later in the fetch
            feed.alert(upns[3], "ten_day_unauthorised", day=None),
        ]
        items = [raised(feed, alert) for alert in alerts]
        items += [feed.received(feed.pupil_upserted(upns[3], [contact("c1", "Lee", feed.email("lee"))]))]
        items += [raised(feed, repeated), raised(feed, feed.alert(upns[1], "persistent_absence", rate=0.2))]
        items += [feed.received(cleared(alerts[2]), source="alerts")]
        items += [feed.received(cleared(alerts[3], reason="amended to I"), source="alerts")]
        items += [feed.received(cleared(alerts[2]), source="alerts")]
        counted = counts()
        await apply(feed, items)
        return await outcome(feed, [item.data for item in items], counted)

    async def each(feed: Feed, items: list[Received]) -> None:
        for item in items:
            await feed.apply_fetch([item])

    expected = await scenario(single, each)
    assert await scenario(batched, Feed.apply_fetch) == expected
    assert expected["deliveries"] and expected["messages"] and expected["sent"]
    assert {d[4] for d in expected["deliveries"]} == {"app", "email", "sms", "webhook"}
    assert {d[6] for d in expected["deliveries"]} == {"sent", "pending", "skipped"}
    assert (False, False) not in expected["triggers"].values()  # every one routed (or cleared)


def counts() -> dict[tuple[str, ...], float]:
    """The `attendance_notifications` counter by labels."""
    return {
        tuple(sample.labels.values()): sample.value
        for metric in NOTIFICATIONS.collect()
        for sample in metric.samples
        if sample.name.endswith("_total")
    }


async def outcome(feed: Feed, events: list[Any], counted: dict[tuple[str, ...], float]) -> dict[str, Any]:
    """What a scenario left at the feed's school, with alert ids as their place in the fetch."""
    place = {}
    for n, data in enumerate(events):
        if hasattr(data, "alert_id"):
            place.setdefault(data.alert_id, n)

    def named(key: str) -> str:
        prefix, _, alert_id = key.partition(":")
        return f"{prefix}:{place[alert_id]}"

    async with feed.database.transaction() as session:
        deliveries = [
            (
                named(d.trigger_key),
                d.recipient_kind,
                d.recipient_name,
                d.address,
                d.channel,
                d.subject,
                d.status,
                d.error,
                d.attempts,
                d.body if d.channel != "webhook" else None,  # webhooks carry the event (its ids)
            )
            for d in await feed.deliveries_at_school()
        ]
        messages = [
            (named(m.trigger_key), m.parent_email, m.kind, m.title, m.body, m.resolved_at is not None)
            for m in await feed.messages_at_school()
        ]
        rows = await session.scalars(
            select(OutboxRow)
            .where(OutboxRow.event_type == "attendance.notification.sent")
            .order_by(OutboxRow.id)
        )
        sent = [
            (data["trigger"], data["upn"], data["channel"], data["recipient_kind"])
            for data in (json.loads(row.data) for row in rows)
            if data["school_urn"] == feed.urn
        ]
        found = await session.execute(
            select(Trigger.key, Trigger.routed_at, Trigger.cleared_at).where(Trigger.school_urn == feed.urn)
        )
        states = {named(t.key): (t.routed_at is not None, t.cleared_at is not None) for t in found}
    now = counts()
    added = {labels: now[labels] - counted.get(labels, 0) for labels in now}
    return {
        "deliveries": deliveries,
        "messages": messages,
        "sent": sent,
        "triggers": states,
        "counted": {labels: n for labels, n in added.items() if n},
    }
