"""Each trigger reaches the right people on the right channels (api.md "Routing"), once."""

from __future__ import annotations

import datetime as dt

import pytest
from notifications_support import Feed, auth, contact, new_upn

from attendance_common.events.envelope import make_event
from attendance_common.events.registers import SocialWorker

pytestmark = pytest.mark.integration


async def family(feed: Feed, *, social_worker: bool = True) -> tuple[str, dict[str, str]]:
    """A pupil with two parents (priority 2 and 1), a non-parent contact and maybe a social worker."""
    upn = new_upn()
    people = {k: feed.email(k) for k in ("mum", "dad", "gran", "sw")}
    await feed.school()
    await feed.pupil(
        upn,
        [
            contact("c2", "Dad", people["dad"], priority=2),
            contact("c1", "Mum", people["mum"].upper(), priority=1, phone="07700900001"),
            contact("c3", "Gran", people["gran"], pr=False, priority=3, phone="07700900003"),
        ],
        social_worker_email=people["sw"] if social_worker else None,
    )
    return upn, people


async def subscribe(client, feed: Feed, name: str, event_types: list[str], alert_types=None) -> dict:
    officer = auth("la_officer", sub=f"la-{feed.la_code}", la=feed.la_code)
    body = {"url": f"http://127.0.0.1:9/hooks/{name}", "event_types": event_types}
    if alert_types is not None:
        body["alert_types"] = alert_types
    response = await client.post("/v1/subscriptions", json=body, headers=officer)
    assert response.status_code == 201, response.text
    return response.json()


async def test_first_day_absence_tells_each_parent_by_app_email_and_sms_and_no_one_else(feed):
    upn, people = await family(feed)
    await feed.raise_alert(upn, "first_day_absence")
    assert await feed.routed(upn) == sorted(
        [
            ("parent", people["dad"], "app", "sent"),
            ("parent", people["dad"], "email", "pending"),
            ("parent", people["mum"], "app", "sent"),
            ("parent", people["mum"], "email", "pending"),
            ("parent", "07700900001", "sms", "pending"),
        ]
    )


async def test_parents_are_routed_in_priority_order(feed):
    upn, people = await family(feed)
    await feed.raise_alert(upn, "first_day_absence")
    emails = [d.address for d in await feed.deliveries(upn, channel="email")]
    assert emails == [people["mum"], people["dad"]]


async def test_the_app_message_lands_in_each_parents_feed_with_kind_words(feed):
    upn, people = await family(feed)
    await feed.raise_alert(upn, "first_day_absence")
    messages = await feed.messages(upn)
    assert sorted(m.parent_email for m in messages) == sorted([people["mum"], people["dad"]])
    mum = next(m for m in messages if m.parent_email == people["mum"])
    assert (mum.kind, mum.upn) == ("first_day_absence", upn)
    assert "Ada" in mum.title and "Monday 16 November" in mum.body and "Hill Primary" in mum.body
    assert mum.body.startswith("Hello Mum,")


async def test_social_worker_unexplained_absence_emails_only_the_social_worker(feed):
    upn, people = await family(feed)
    await feed.raise_alert(upn, "social_worker_unexplained_absence")
    assert await feed.routed(upn) == [("social_worker", people["sw"], "email", "pending")]
    (delivery,) = await feed.deliveries(upn)
    assert upn in delivery.subject and "Monday 16 November 2026" in delivery.body


async def test_persistent_absence_tells_parents_by_app_and_email_but_not_sms(feed):
    upn, people = await family(feed)
    await feed.raise_alert(upn, "persistent_absence", day=None, rate=0.12, numerator=6, denominator=50)
    assert {(a, c) for _, a, c, _ in await feed.routed(upn)} == {
        (people["mum"], "app"),
        (people["mum"], "email"),
        (people["dad"], "app"),
        (people["dad"], "email"),
    }
    (message, _) = await feed.messages(upn)
    assert "6 of the 50" in message.body and "12%" in message.body


async def test_severe_absence_tells_parents_social_worker_and_the_la_webhook(feed, client):
    upn, people = await family(feed)
    await subscribe(client, feed, "severe", ["attendance.alert.raised"])
    await feed.raise_alert(upn, "severe_absence", day=None, rate=0.55, numerator=33, denominator=60)
    routed = await feed.routed(upn)
    assert ("social_worker", people["sw"], "email", "pending") in routed
    assert ("local_authority", "http://127.0.0.1:9/hooks/severe", "webhook", "pending") in routed
    assert {c for k, _, c, _ in routed if k == "parent"} == {"app", "email"}


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("ten_day_unauthorised", {("social_worker", "email"), ("local_authority", "webhook")}),
        ("fifteen_day_illness", {("local_authority", "webhook")}),
        ("penalty_threshold", set()),
        ("overdue_n", set()),
    ],
)
async def test_la_and_social_worker_triggers_follow_the_default_table(feed, client, kind, expected):
    upn, _ = await family(feed)
    await subscribe(client, feed, kind, ["attendance.alert.raised"], [*LA_WEBHOOK_DEFAULTS])
    await feed.raise_alert(upn, kind, day=None)
    assert {(k, c) for k, _, c, _ in await feed.routed(upn)} == expected


LA_WEBHOOK_DEFAULTS = ("severe_absence", "ten_day_unauthorised", "fifteen_day_illness")


@pytest.mark.parametrize(
    "kind", ["penalty_threshold", "overdue_n", "first_day_absence", "persistent_absence"]
)
async def test_a_subscription_with_no_alert_types_gets_every_alert_type_whatever_the_routing(
    feed, client, kind
):
    upn, _ = await family(feed)
    await subscribe(client, feed, "everything", ["attendance.alert.raised"])
    await feed.raise_alert(upn, kind)
    assert [d.address for d in await feed.deliveries(upn, channel="webhook")] == [
        "http://127.0.0.1:9/hooks/everything"
    ]


async def test_routing_does_not_switch_off_an_las_own_subscription(feed, client):
    upn, _ = await family(feed)
    officer = auth("la_officer", la=feed.la_code)
    body = {"routes": {"severe_absence": {"local_authority": [], "social_worker": []}}}
    response = await client.put(f"/v1/routing/la:{feed.la_code}", json=body, headers=officer)
    assert response.status_code in (200, 201), response.text
    await subscribe(client, feed, "severe", ["attendance.alert.raised"], ["severe_absence"])
    await feed.raise_alert(upn, "severe_absence", day=None)
    routed = await feed.routed(upn)
    assert ("local_authority", "http://127.0.0.1:9/hooks/severe", "webhook", "pending") in routed
    assert "social_worker" not in {k for k, _, _, _ in routed}  # the built-in channels follow routing


async def test_deletion_from_roll_tells_the_social_worker_and_the_la_with_the_pupils_details(feed, client):
    upn, people = await family(feed)
    await subscribe(client, feed, "deleted", ["attendance.pupil.deleted"])
    await feed.delete_pupil(upn, [contact("c1", "Mum", people["mum"])], sw_email=people["sw"])
    routed = await feed.routed(upn)
    assert {(k, c) for k, _, c, _ in routed} == {("social_worker", "email"), ("local_authority", "webhook")}
    (webhook,) = await feed.deliveries(upn, channel="webhook")
    assert '"given_name":"Ada"' in webhook.body and people["mum"] in webhook.body  # the LA must be told
    (email,) = await feed.deliveries(upn, channel="email")
    assert "moved away" in email.body


async def test_a_referral_to_the_la_goes_to_its_webhook_only(feed, client):
    upn, _ = await family(feed)
    await subscribe(client, feed, "referrals", ["attendance.referral.made"])
    await feed.refer(upn)
    assert [(k, c) for k, _, c, _ in await feed.routed(upn)] == [("local_authority", "webhook")]


async def test_webhooks_go_only_to_subscribers_of_the_pupils_la_and_chosen_alert_types(feed, client):
    upn, _ = await family(feed)
    other_la = Feed(feed.consumer, feed.database, feed.urn)
    await subscribe(client, other_la, "elsewhere", ["attendance.alert.raised"])
    await subscribe(client, feed, "ten-day-only", ["attendance.alert.raised"], ["ten_day_unauthorised"])
    await subscribe(client, feed, "deletions-only", ["attendance.pupil.deleted"])
    await subscribe(client, feed, "everything", ["attendance.alert.raised"])
    await feed.raise_alert(upn, "severe_absence", day=None)
    hooks = [d.address.rsplit("/", 1)[1] for d in await feed.deliveries(upn, channel="webhook")]
    assert hooks == ["everything"]


async def test_the_same_event_delivered_twice_sends_once(feed):
    upn, _ = await family(feed)
    alert = feed.alert(upn, "first_day_absence")
    event = make_event(alert, source="alerts")
    await feed.deliver(event)
    before = await feed.routed(upn)
    await feed.deliver(event)
    assert await feed.routed(upn) == before
    assert len(await feed.messages(upn)) == 2


async def test_the_same_alert_published_again_under_a_new_event_id_sends_once(feed):
    upn, _ = await family(feed)
    alert = await feed.raise_alert(upn, "first_day_absence")
    before = await feed.routed(upn)
    await feed.send(alert, source="alerts")  # a relay retry after a lost ack: new envelope, same alert
    assert await feed.routed(upn) == before
    assert len(await feed.outbox(upn)) == 2  # one notification.sent per app message, not more


async def test_an_alert_that_overtakes_its_pupils_event_is_routed_when_the_pupil_arrives(feed):
    upn = new_upn()
    await feed.school()
    await feed.raise_alert(upn, "first_day_absence")
    assert await feed.routed(upn) == []
    await feed.pupil(upn, [contact("c1", "Mum", feed.email("mum"))])
    assert [(a, c) for _, a, c, _ in await feed.routed(upn)] == [
        (feed.email("mum"), "app"),
        (feed.email("mum"), "email"),
    ]


async def test_a_late_posted_mark_for_an_earlier_date_still_notifies_with_that_date(feed):
    upn, _ = await family(feed)
    await feed.raise_alert(upn, "first_day_absence", day=dt.date(2026, 11, 2))
    (message, _) = await feed.messages(upn)
    assert "Monday 2 November" in message.body


async def test_a_cleared_alert_stops_unsent_messages_and_resolves_the_feed_message(feed):
    upn, _ = await family(feed)
    alert = await feed.raise_alert(upn, "first_day_absence")
    await feed.clear_alert(alert)
    pending = [d for d in await feed.deliveries(upn) if d.channel in ("email", "sms")]
    assert {d.status for d in pending} == {"skipped"}
    assert all("cleared" in (d.error or "") for d in pending)
    assert all(m.resolved_at is not None for m in await feed.messages(upn))


async def test_a_social_worker_without_an_email_is_recorded_as_skipped_not_dropped(feed):
    upn, _ = await family(feed, social_worker=False)
    worker = SocialWorker(name="Sam Worker", email=None)
    await feed.send(feed.pupil_upserted(upn).model_copy(update={"social_worker": worker}))
    await feed.raise_alert(upn, "social_worker_unexplained_absence")
    (delivery,) = await feed.deliveries(upn)
    assert (delivery.status, delivery.error) == ("skipped", "the pupil has no social worker email on record")
    assert delivery.recipient_name == "Sam Worker"


async def test_a_pupil_without_a_social_worker_has_no_social_worker_row(feed):
    upn, _ = await family(feed, social_worker=False)
    await feed.raise_alert(upn, "social_worker_unexplained_absence")
    await feed.raise_alert(upn, "severe_absence")
    assert not [d for d in await feed.deliveries(upn) if d.recipient_kind == "social_worker"]
    assert "-" not in {d.address for d in await feed.deliveries(upn)}


async def test_a_school_can_turn_parent_email_off_for_first_day_absence(feed, client):
    upn, _ = await family(feed)
    staff = auth("school_staff", schools=[feed.urn])
    body = {"routes": {"first_day_absence": {"parents": ["app"]}}}
    response = await client.put(f"/v1/routing/school:{feed.urn}", json=body, headers=staff)
    assert response.status_code == 201, response.text
    await feed.raise_alert(upn, "first_day_absence")
    assert {c for _, _, c, _ in await feed.routed(upn)} == {"app"}


async def test_emerging_absence_offers_parents_a_conversation_by_app_and_email_never_sms(feed, client):
    """Parents by app and email (no SMS, no social worker); the LA's subscription, which takes every
    alert type, receives the event too."""
    upn, people = await family(feed)
    await subscribe(client, feed, "emerging", ["attendance.alert.raised"])
    window = {"from": "2026-10-19", "to": "2026-11-16", "school_days": 20}
    await feed.raise_alert(
        upn, "emerging_absence", day=None, rate=0.1, numerator=4, denominator=40, window=window
    )
    assert await feed.routed(upn) == sorted(
        [
            ("local_authority", "http://127.0.0.1:9/hooks/emerging", "webhook", "pending"),
            ("parent", people["dad"], "app", "sent"),
            ("parent", people["dad"], "email", "pending"),
            ("parent", people["mum"], "app", "sent"),
            ("parent", people["mum"], "email", "pending"),
        ]
    )
    mum = next(m for m in await feed.messages(upn) if m.parent_email == people["mum"])
    assert mum.kind == "emerging_absence" and mum.title == "Could we have a chat about how Ada is getting on?"
    assert "4 of 40" in mum.body and "last 20 school days" in mum.body and "fine" not in mum.body.lower()


async def test_twenty_day_continuous_absence_emails_the_social_worker_and_calls_the_la_webhook(feed, client):
    upn, people = await family(feed)
    await subscribe(client, feed, "twenty", ["attendance.alert.raised"])
    await feed.raise_alert(
        upn,
        "twenty_day_continuous_absence",
        day=None,
        school_days=20,
        **{"from": "2026-10-19", "to": "2026-11-13"},
    )
    assert await feed.routed(upn) == sorted(
        [
            ("local_authority", "http://127.0.0.1:9/hooks/twenty", "webhook", "pending"),
            ("social_worker", people["sw"], "email", "pending"),
        ]
    )
    (email,) = await feed.deliveries(upn, channel="email")
    assert (
        "20 school days" in email.subject
        and "Monday 19 October 2026 to Friday 13 November 2026" in email.body
    )
