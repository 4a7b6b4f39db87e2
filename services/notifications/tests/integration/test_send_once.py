"""Email and SMS are not sent twice when the outcome of a send was not recorded: the send is claimed
in a committed row first; outcomes whose recording failed are recorded later, not sent again;
Notify is asked by reference before an SMS goes again. An email whose worker died before recording
it goes again with the same Message-ID (SMTP cannot be asked; see dispatch.py), and a send that
keeps killing its worker ends failed. Real local SMTP and Notify stand-ins."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from notifications_support import NOW, Feed, contact, new_upn

from notifications.dispatch import OUTCOME_LOST, Dispatcher

pytestmark = pytest.mark.integration
LATER = NOW + dt.timedelta(days=365)  # every pending delivery is due by then
AFTER_THE_LEASE = LATER + dt.timedelta(days=1)


@pytest.fixture
def dispatcher(notifications_settings, notifications_database) -> Dispatcher:
    return Dispatcher(notifications_settings, notifications_database)


@pytest.fixture
def restarted(notifications_settings, notifications_database) -> Dispatcher:
    """Another worker (or the same one restarted): nothing in memory from the first."""
    return Dispatcher(notifications_settings, notifications_database)


async def drain(dispatcher: Dispatcher, now: dt.datetime) -> None:
    while await dispatcher.run_once(now):
        pass


async def first_day_absence(feed: Feed, dispatcher: Dispatcher) -> tuple[str, str]:
    """Earlier tests' due deliveries sent first; then a pupil whose mum gets an email and an SMS."""
    await drain(dispatcher, LATER)
    phone = f"07700{feed.tag[:6].translate(str.maketrans('abcdef', '123456'))}"
    upn = new_upn()
    await feed.school()
    await feed.pupil(upn, [contact("c1", "Mum", feed.email("mum"), phone=phone)])
    await feed.raise_alert(upn, "first_day_absence")
    return upn, phone


def sms_to(stand_in, phone: str) -> list[dict]:
    return [
        s for r in stand_in.at("/v2/notifications/sms") if (s := json.loads(r.body))["phone_number"] == phone
    ]


async def send_and_die(dispatcher: Dispatcher, channel: str) -> None:
    """Claim and send, then stop before recording anything (the worker crashed)."""
    outgoing, _ = await dispatcher.claim(LATER)
    assert sorted(o.channel for o in outgoing) == ["email", "sms"]
    for item in outgoing:
        if item.channel == channel:
            assert await dispatcher.send(item) is None


async def test_an_sms_sent_before_the_worker_died_is_not_sent_again(feed, dispatcher, restarted, stand_in):
    upn, phone = await first_day_absence(feed, dispatcher)
    await send_and_die(dispatcher, "sms")
    await drain(restarted, AFTER_THE_LEASE)
    (sms,) = sms_to(stand_in, phone)
    (delivery,) = await feed.deliveries(upn, channel="sms")
    assert (delivery.status, sms["reference"]) == ("sent", delivery.id)


async def test_a_claimed_sms_that_never_reached_notify_is_sent_after_the_lease(
    feed, dispatcher, restarted, stand_in
):
    upn, phone = await first_day_absence(feed, dispatcher)
    await send_and_die(dispatcher, "none")
    await drain(restarted, AFTER_THE_LEASE)
    assert len(sms_to(stand_in, phone)) == 1
    (delivery,) = await feed.deliveries(upn, channel="sms")
    assert delivery.status == "sent"


async def test_an_sms_whose_answer_was_lost_is_looked_up_not_sent_again(feed, dispatcher, stand_in):
    upn, phone = await first_day_absence(feed, dispatcher)
    stand_in.lose_answers.append(502)  # Notify takes it, the answer does not come back
    await drain(dispatcher, LATER)
    (delivery,) = await feed.deliveries(upn, channel="sms")
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    await drain(dispatcher, AFTER_THE_LEASE)
    assert len(sms_to(stand_in, phone)) == 1
    (delivery,) = await feed.deliveries(upn, channel="sms")
    assert (delivery.status, delivery.attempts) == ("sent", 2)


async def test_an_email_whose_worker_died_before_recording_goes_again_as_the_same_message(
    feed, dispatcher, restarted, smtp
):
    upn, _ = await first_day_absence(feed, dispatcher)
    await send_and_die(dispatcher, "email")
    await drain(restarted, AFTER_THE_LEASE)
    (delivery,) = await feed.deliveries(upn, channel="email")
    assert (delivery.status, delivery.attempts) == ("sent", 2)
    ids = {mail.message["Message-ID"] for mail in smtp[0].to(feed.email("mum"))}
    assert ids == {f"<{delivery.id}@attendance.notifications>"}  # receivers show it once


async def test_a_send_that_keeps_killing_its_worker_ends_failed_not_retried_forever(
    feed, dispatcher, notifications_settings
):
    upn, _ = await first_day_absence(feed, dispatcher)
    for day in range(notifications_settings.delivery_max_attempts + 1):
        await dispatcher.claim(LATER + dt.timedelta(days=day))  # claimed, then the worker dies
    for delivery in await feed.deliveries(upn, channel="email") + await feed.deliveries(upn, channel="sms"):
        assert (delivery.status, delivery.error) == ("failed", OUTCOME_LOST)


class FailsToRecord(Dispatcher):
    """The database refuses the recording `times` times (e.g. it restarted mid-batch)."""

    def __init__(self, *args, times: int, error: Exception, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.times, self.error = times, error

    async def record(self, outcomes, now) -> None:
        if self.times > 0:
            self.times -= 1
            raise self.error
        await super().record(outcomes, now)


async def test_outcomes_whose_recording_failed_are_recorded_next_round_not_sent_again(
    feed, dispatcher, smtp, stand_in, notifications_settings, notifications_database
):
    upn, phone = await first_day_absence(feed, dispatcher)
    flaky = FailsToRecord(
        notifications_settings, notifications_database, times=1, error=ConnectionResetError("db restarting")
    )
    with pytest.raises(ConnectionResetError):
        await flaky.run_once(LATER)
    await drain(flaky, AFTER_THE_LEASE)
    assert len(smtp[0].to(feed.email("mum"))) == 1 and len(sms_to(stand_in, phone)) == 1
    assert {(d.channel, d.status, d.attempts) for d in await feed.deliveries(upn)} == {
        ("app", "sent", 1), ("email", "sent", 1), ("sms", "sent", 1)
    }  # fmt: skip


async def test_a_recording_that_keeps_failing_is_given_up_not_retried_forever(
    feed, dispatcher, restarted, smtp, notifications_settings, notifications_database
):
    upn, _ = await first_day_absence(feed, dispatcher)
    broken = FailsToRecord(
        notifications_settings, notifications_database, times=99, error=ValueError("cannot store this")
    )
    for _ in range(notifications_settings.delivery_max_attempts):
        with pytest.raises(ValueError):
            await broken.run_once(LATER)
    assert broken.held == []  # given up: the claims' outcomes count as lost
    await drain(restarted, AFTER_THE_LEASE)
    (email,) = await feed.deliveries(upn, channel="email")
    assert (email.status, email.attempts) == ("sent", 2)
