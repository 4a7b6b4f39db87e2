"""Parents are not flooded by a catch-up (api.md Part 2): Ns dated before the school's previous
school day, posted in one batch, reach the parents as one message per pupil listing the dates; the
delivery log keeps one row per delivery, and an LA's subscription still gets each alert event."""

from __future__ import annotations

import datetime as dt

import pytest
from notifications_support import NOW, Feed, auth, contact, new_upn

from attendance_common.clock import today_in_london
from notifications.delivery.catch_up import previous_weekday
from notifications.delivery.templates import long_date

pytestmark = pytest.mark.integration

TODAY = today_in_london()


def weekdays_before(day: dt.date, count: int) -> list[dt.date]:
    """`count` weekdays before `day`, oldest first."""
    found: list[dt.date] = []
    while len(found) < count:
        day -= dt.timedelta(days=1)
        if day.weekday() < 5:
            found.insert(0, day)
    return found


OLD = weekdays_before(TODAY - dt.timedelta(days=21), 4)  # a month-old catch-up: four school days


async def pupil(feed: Feed, *, social_worker: bool = False) -> str:
    upn = new_upn()
    await feed.school()
    await feed.pupil(
        upn,
        [contact("c1", "Mum", feed.email("mum"), phone="07700900001")],
        social_worker_email=feed.email("sw") if social_worker else None,
    )
    return upn


async def batch(feed: Feed, upn: str, kind: str, days: list[dt.date]) -> None:
    """The alerts one catch-up raised, as one consumed fetch."""
    await feed.apply_fetch([feed.received(feed.alert(upn, kind, day=day), source="alerts") for day in days])


async def test_a_catch_up_of_old_ns_sends_the_parents_one_message_listing_the_dates(feed):
    upn = await pupil(feed)
    await batch(feed, upn, "first_day_absence", OLD)

    (message,) = await feed.messages(upn)
    assert message.kind == "first_day_absence"
    assert message.title == f"Ada was not in school on {len(OLD)} days"
    for day in OLD:
        assert f"{long_date(day)} (morning)" in message.body
    # One row per delivery: the one message, on each of Mum's channels.
    assert [(d.address, d.channel) for d in await feed.deliveries(upn)] == [
        (feed.email("mum"), "app"),
        (feed.email("mum"), "email"),
        ("07700900001", "sms"),
    ]
    (sms,) = await feed.deliveries(upn, channel="sms")
    assert all(long_date(day) in sms.body for day in OLD)
    sent = [row for row in await feed.outbox(upn) if row.event_type == "attendance.notification.sent"]
    assert len(sent) == 1


async def test_todays_n_in_a_catch_up_batch_folds_into_the_same_message(feed):
    upn = await pupil(feed)
    await batch(feed, upn, "first_day_absence", [*OLD[:2], TODAY])
    (message,) = await feed.messages(upn)
    assert message.title == "Ada was not in school on 3 days"
    assert long_date(TODAY) in message.body


async def test_ns_of_today_and_the_previous_school_day_are_each_their_own_first_day_contact(feed):
    upn = await pupil(feed)
    await batch(feed, upn, "first_day_absence", [previous_weekday(TODAY), TODAY])
    assert len(await feed.messages(upn)) == 2


async def test_one_old_n_alone_is_its_own_message_with_its_date(feed):
    upn = await pupil(feed)
    await batch(feed, upn, "first_day_absence", OLD[:1])
    (message,) = await feed.messages(upn)
    assert long_date(OLD[0]).rsplit(" ", 1)[0] in message.body  # "Monday 2 November", as ever


async def test_the_previous_school_day_is_the_schools_last_day_with_marks(feed):
    # The school's last register before today was a week and more ago (a holiday since): an N on
    # that day is not before the previous school day, so it is a first-day contact of its own.
    upn = await pupil(feed)
    last_open = OLD[-1]
    await feed.marks(new_upn(), [last_open], "/", "/")
    await batch(feed, upn, "first_day_absence", [last_open, TODAY])
    assert len(await feed.messages(upn)) == 2


async def test_an_las_subscription_still_gets_every_alert_of_a_folded_catch_up(feed, client):
    upn = await pupil(feed)
    officer = auth("la_officer", la=feed.la_code)
    body = {"url": "http://127.0.0.1:9/hooks/all", "event_types": ["attendance.alert.raised"]}
    assert (await client.post("/v1/subscriptions", json=body, headers=officer)).status_code == 201
    await batch(feed, upn, "first_day_absence", OLD)
    assert len(await feed.deliveries(upn, channel="webhook")) == len(OLD)
    assert len(await feed.messages(upn)) == 1


async def test_the_social_worker_gets_one_email_for_a_catch_up_of_unexplained_absences(feed):
    upn = await pupil(feed, social_worker=True)
    await batch(feed, upn, "social_worker_unexplained_absence", OLD)
    (email,) = await feed.deliveries(upn)
    assert (email.recipient_kind, email.address) == ("social_worker", feed.email("sw"))
    assert email.subject.endswith(f"on {len(OLD)} days")
    assert all(long_date(day) in email.body for day in OLD)


async def test_each_pupil_of_a_catch_up_gets_their_own_message(feed):
    first, second = await pupil(feed), new_upn()
    await feed.pupil(second, [contact("c1", "Dad", feed.email("dad"))], given_name="Bea")
    alerts = [feed.alert(upn, "first_day_absence", day=day) for day in OLD for upn in (first, second)]
    await feed.apply_fetch([feed.received(alert, source="alerts") for alert in alerts])
    assert [len(await feed.messages(upn)) for upn in (first, second)] == [1, 1]


async def test_two_batches_consumed_together_are_one_message_each(feed):
    # Two requests' alerts (each evaluation's own raised_at) in one fetch: a message per batch.
    upn = await pupil(feed)
    first = [feed.alert(upn, "first_day_absence", day=day) for day in OLD[:2]]
    later = [
        feed.alert(upn, "first_day_absence", day=day).model_copy(
            update={"raised_at": NOW + dt.timedelta(seconds=1)}
        )
        for day in OLD[2:]
    ]
    await feed.apply_fetch([feed.received(alert, source="alerts") for alert in first + later])
    messages = await feed.messages(upn)
    assert [m.title for m in messages] == ["Ada was not in school on 2 days"] * 2


async def test_a_folded_message_stands_while_any_alert_of_its_batch_is_open(feed):
    upn = await pupil(feed)
    alerts = [feed.alert(upn, "first_day_absence", day=day) for day in OLD[:3]]
    await feed.apply_fetch([feed.received(alert, source="alerts") for alert in alerts])

    async def unsent_and_resolved() -> tuple[set[str], bool]:
        pending = {d.status for d in await feed.deliveries(upn) if d.channel != "app"}
        (message,) = await feed.messages(upn)
        return pending, message.resolved_at is not None

    await feed.clear_alert(alerts[0])  # the one whose message it is: the other two still hold
    await feed.clear_alert(alerts[2])
    assert await unsent_and_resolved() == ({"pending"}, False)
    await feed.clear_alert(alerts[1])  # the last: nothing is left to say
    assert await unsent_and_resolved() == ({"skipped"}, True)


async def test_an_unfolded_message_of_a_batch_stops_when_its_own_alert_clears(feed):
    upn = await pupil(feed)
    alerts = [feed.alert(upn, "first_day_absence", day=day) for day in (previous_weekday(TODAY), TODAY)]
    await feed.apply_fetch([feed.received(alert, source="alerts") for alert in alerts])
    await feed.clear_alert(alerts[0])
    first, second = await feed.messages(upn)
    assert (first.resolved_at is not None, second.resolved_at is not None) == (True, False)
