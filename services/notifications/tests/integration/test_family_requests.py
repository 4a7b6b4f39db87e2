"""Families' requests reach notifications (api.md "Families report absences", "... ask for leave"):
a parent who has told the school is not chased, and each decision reaches the parents."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from notifications_support import MON, NOW, THREATS, Feed, auth, contact, new_upn

from attendance_common.events.envelope import make_event
from attendance_common.events.requests import (
    AbsenceReportDecided,
    AbsenceReportSubmitted,
    AbsenceReportWithdrawn,
    LeaveRequestDecided,
)
from notifications.delivery.dispatch import Dispatcher

pytestmark = pytest.mark.integration
LATER = NOW + dt.timedelta(days=365)
TUE = MON + dt.timedelta(days=1)


@pytest.fixture
def dispatcher(notifications_settings, notifications_database) -> Dispatcher:
    return Dispatcher(notifications_settings, notifications_database)


async def drain(dispatcher: Dispatcher) -> None:
    while await dispatcher.run_once(LATER):
        pass


async def family(feed: Feed) -> tuple[str, dict[str, str]]:
    """A pupil with two parents (mum with a phone) and a grandparent without responsibility."""
    upn = new_upn()
    people = {k: feed.email(k) for k in ("mum", "dad", "gran")}
    await feed.school()
    await feed.pupil(
        upn,
        [
            contact("c1", "Mum", people["mum"], priority=1, phone="07700900001"),
            contact("c2", "Dad", people["dad"], priority=2),
            contact("c3", "Gran", people["gran"], pr=False, priority=3),
        ],
    )
    return upn, people


def report(feed: Feed, upn: str, *, first=(MON, "AM"), last=(MON, "PM"), report_id=None):
    return AbsenceReportSubmitted(
        report_id=report_id or str(uuid.uuid4()),
        school_urn=feed.urn,
        la_code=feed.la_code,
        upn=upn,
        first_date=first[0],
        first_session=first[1],
        last_date=last[0],
        last_session=last[1],
        reason="illness",
        submitted_at=NOW,
        submitted_by_role="parent",
    )


def decided(submitted: AbsenceReportSubmitted, outcome: str) -> AbsenceReportDecided:
    span = submitted.model_dump(exclude={"submitted_at", "submitted_by_role"})
    return AbsenceReportDecided(**span, outcome=outcome, decided_at=NOW, decided_by_role="school_staff")


def withdrawn(submitted: AbsenceReportSubmitted) -> AbsenceReportWithdrawn:
    span = submitted.model_dump(exclude={"submitted_at", "submitted_by_role"})
    return AbsenceReportWithdrawn(**span, withdrawn_at=NOW, withdrawn_by_role="parent")


def leave_decided(feed: Feed, upn: str, outcome: str) -> LeaveRequestDecided:
    return LeaveRequestDecided(
        request_id=str(uuid.uuid4()),
        school_urn=feed.urn,
        la_code=feed.la_code,
        upn=upn,
        first_date=TUE,
        last_date=TUE + dt.timedelta(days=1),
        category="interview",
        expected_code="J1",
        outcome=outcome,  # type: ignore[arg-type]
        decided_at=NOW,
        decided_by_role="school_staff",
    )


async def first_day(feed: Feed, upn: str) -> list[tuple[str, str, str, str | None]]:
    """(address, channel, status, error) of the first-day deliveries, sorted."""
    found = await feed.deliveries(upn, trigger="first_day_absence")
    return sorted((d.address, d.channel, d.status, d.error) for d in found)


async def test_a_report_first_means_the_first_day_contact_is_recorded_skipped_and_not_sent(
    feed, dispatcher, smtp
):
    upn, people = await family(feed)
    await feed.send(report(feed, upn))
    await feed.raise_alert(upn, "first_day_absence")
    await drain(dispatcher)

    assert await first_day(feed, upn) == sorted(
        [
            (people["mum"], "app", "skipped", "reported_by_parent"),
            (people["mum"], "email", "skipped", "reported_by_parent"),
            ("07700900001", "sms", "skipped", "reported_by_parent"),
            (people["dad"], "app", "skipped", "reported_by_parent"),
            (people["dad"], "email", "skipped", "reported_by_parent"),
        ]
    )
    assert await feed.messages(upn) == []
    assert smtp[0].to(people["mum"]) == [] and smtp[0].to(people["dad"]) == []


async def test_a_report_after_the_message_went_changes_nothing_sent_and_stops_what_waits(
    feed, dispatcher, smtp
):
    upn, people = await family(feed)
    await feed.raise_alert(upn, "first_day_absence")
    await feed.send(report(feed, upn))

    # The app messages went at once and stay; the emails and SMS had not gone yet: they never do.
    assert await first_day(feed, upn) == sorted(
        [
            (people["mum"], "app", "sent", None),
            (people["mum"], "email", "skipped", "reported_by_parent"),
            ("07700900001", "sms", "skipped", "reported_by_parent"),
            (people["dad"], "app", "sent", None),
            (people["dad"], "email", "skipped", "reported_by_parent"),
        ]
    )
    assert len(await feed.messages(upn)) == 2
    await drain(dispatcher)
    assert smtp[0].to(people["mum"]) == []


async def test_an_email_already_sent_stays_sent_when_the_report_arrives(feed, dispatcher, smtp):
    upn, people = await family(feed)
    await feed.raise_alert(upn, "first_day_absence")
    await drain(dispatcher)
    await feed.send(report(feed, upn))

    statuses = {(a, c): s for a, c, s, _ in await first_day(feed, upn)}
    assert statuses[(people["mum"], "email")] == "sent"
    assert len(smtp[0].to(people["mum"])) == 1


async def test_a_report_for_the_afternoon_does_not_explain_a_morning_absence(feed):
    upn, _people = await family(feed)
    await feed.send(report(feed, upn, first=(MON, "PM"), last=(TUE, "PM")))
    await feed.raise_alert(upn, "first_day_absence")

    assert {status for _, _, status, _ in await first_day(feed, upn)} == {"sent", "pending"}


async def test_a_report_spanning_several_days_covers_each_of_them(feed):
    upn, _ = await family(feed)
    await feed.send(report(feed, upn, first=(MON - dt.timedelta(days=3), "PM"), last=(TUE, "AM")))
    await feed.raise_alert(upn, "first_day_absence")

    assert {status for _, _, status, _ in await first_day(feed, upn)} == {"skipped"}


@pytest.mark.parametrize("then", ["declined", "withdrawn"])
async def test_a_declined_or_withdrawn_report_explains_nothing(feed, then):
    upn, _ = await family(feed)
    submitted = report(feed, upn)
    await feed.send(submitted)
    await feed.send(decided(submitted, "declined") if then == "declined" else withdrawn(submitted))
    await feed.raise_alert(upn, "first_day_absence")

    assert {status for _, _, status, _ in await first_day(feed, upn)} == {"sent", "pending"}


async def test_an_accepted_report_still_covers_the_session(feed):
    upn, _ = await family(feed)
    submitted = report(feed, upn)
    await feed.send(submitted)
    await feed.send(decided(submitted, "accepted"))
    await feed.raise_alert(upn, "first_day_absence")

    assert {status for _, _, status, _ in await first_day(feed, upn)} == {"skipped"}


async def test_a_first_day_alert_that_waited_for_its_pupil_is_suppressed_when_routed(feed):
    upn = new_upn()
    await feed.school()
    await feed.send(report(feed, upn))
    await feed.raise_alert(upn, "first_day_absence")  # the pupil's event has not arrived yet
    await feed.pupil(upn, [contact("c1", "Mum", feed.email("mum"))])

    assert {(c, s, e) for _, c, s, e in await first_day(feed, upn)} == {
        ("app", "skipped", "reported_by_parent"),
        ("email", "skipped", "reported_by_parent"),
    }


async def test_an_accepted_report_reaches_each_parents_feed_and_inbox_in_kind_words(
    feed, dispatcher, smtp, client
):
    upn, people = await family(feed)
    submitted = report(feed, upn, last=(TUE, "PM"))
    await feed.send(submitted)
    await feed.send(decided(submitted, "accepted"))
    await drain(dispatcher)

    messages = await feed.messages(upn)
    assert sorted(m.parent_email for m in messages) == sorted([people["mum"], people["dad"]])
    mum = next(m for m in messages if m.parent_email == people["mum"])
    assert mum.kind == "absence_report_decided"
    assert "Thank you" in mum.title and "Ada" in mum.title
    assert "from Monday 16 November to Tuesday 17 November" in mum.body and "illness" in mum.body
    assert not any(word in (mum.title + mum.body).lower() for word in THREATS)
    (mail,) = smtp[0].to(people["mum"])
    assert mail.message["Subject"] == mum.title
    assert smtp[0].to(people["gran"]) == []
    app = await client.get("/v1/parent/messages", headers=auth("parent", email=people["dad"]))
    assert [(m["kind"], m["upn"]) for m in app.json()["messages"]] == [("absence_report_decided", upn)]


async def test_a_declined_report_asks_the_parents_to_talk_to_the_school_without_threats(feed):
    upn, _people = await family(feed)
    submitted = report(feed, upn)
    await feed.send(submitted)
    await feed.send(decided(submitted, "declined"))

    (mum, _) = await feed.messages(upn)
    assert "could not accept" in mum.body and "get in touch" in mum.body
    assert "on Monday 16 November" in mum.body
    assert not any(word in (mum.title + mum.body).lower() for word in THREATS)


@pytest.mark.parametrize(
    ("outcome", "words"), [("granted", "has agreed leave"), ("refused", "could not agree")]
)
async def test_a_leave_decision_reaches_the_parents_by_app_and_email(feed, outcome, words):
    upn, people = await family(feed)
    await feed.send(leave_decided(feed, upn, outcome))

    routed = {(d.address, d.channel, d.status) for d in await feed.deliveries(upn)}
    assert routed == {
        (people["mum"], "app", "sent"),
        (people["mum"], "email", "pending"),
        (people["dad"], "app", "sent"),
        (people["dad"], "email", "pending"),
    }
    (mum, _) = await feed.messages(upn)
    assert mum.kind == "leave_request_decided" and words in mum.body and "an interview" in mum.body
    assert not any(word in (mum.title + mum.body).lower() for word in THREATS)


async def test_redelivered_request_events_change_nothing(feed):
    upn, _ = await family(feed)
    submitted = report(feed, upn)
    events = [make_event(e, source="registers") for e in (submitted, decided(submitted, "accepted"))]
    for event in events:
        await feed.deliver(event)
    before = (await feed.routed(upn), len(await feed.messages(upn)))

    for event in events:
        await feed.deliver(event)
    # The same decision published again under a new event id is still one decision.
    await feed.send(decided(submitted, "accepted"))

    assert (await feed.routed(upn), len(await feed.messages(upn))) == before
    assert before[1] == 2  # one message to each parent
