"""The delivery loop against real local servers: SMTP (aiosmtpd), GOV.UK Notify and LA webhook
stand-ins over HTTP. Every attempt is recorded; failures back off and give up; unconfigured
channels are skipped with the reason."""

from __future__ import annotations

import datetime as dt
import json
from importlib.metadata import version

import pytest
from notifications_support import NOW, Feed, auth, contact, new_upn
from prometheus_client import REGISTRY
from standardwebhooks.webhooks import Webhook

from notifications.delivery.dispatch import Dispatcher

pytestmark = pytest.mark.integration
LATER = NOW + dt.timedelta(days=365)  # every pending delivery is due by then


@pytest.fixture
def dispatcher(notifications_settings, notifications_database) -> Dispatcher:
    return Dispatcher(notifications_settings, notifications_database)


async def pupil_with_mum(feed: Feed, *, email: str | None = None, phone: str | None = None) -> str:
    upn = new_upn()
    await feed.school("Hill Primary")
    await feed.pupil(upn, [contact("c1", "Mum", email or feed.email("mum"), phone=phone)])
    return upn


async def subscription(client, feed: Feed, url: str, event_types=("attendance.alert.raised",)) -> dict:
    officer = auth("la_officer", la=feed.la_code)
    body = {"url": url, "event_types": list(event_types)}
    response = await client.post("/v1/subscriptions", json=body, headers=officer)
    assert response.status_code == 201, response.text
    return response.json()


async def drain(dispatcher: Dispatcher, now: dt.datetime = LATER) -> None:
    while await dispatcher.run_once(now):
        pass


async def test_a_parent_email_reaches_the_smtp_server_and_is_recorded_sent(feed, dispatcher, smtp):
    upn = await pupil_with_mum(feed)
    await feed.raise_alert(upn, "first_day_absence")
    await drain(dispatcher)
    (mail,) = smtp[0].to(feed.email("mum"))
    assert mail.message["From"] == "attendance@hill.example"
    assert mail.message["Subject"] == "Ada was not in school on Monday 16 November"
    assert "we have not heard why yet" in mail.body
    (email,) = await feed.deliveries(upn, channel="email")
    assert (email.status, email.attempts, email.error) == ("sent", 1, None)
    assert email.sent_at is not None
    assert mail.message["User-Agent"] == f"attendance-platform/{version('attendance-common')}"


async def test_each_sent_message_is_published_as_notification_sent(feed, dispatcher):
    upn = await pupil_with_mum(feed)
    await feed.raise_alert(upn, "first_day_absence")
    await drain(dispatcher)
    events = [json.loads(row.data) | {"type": row.event_type} for row in await feed.outbox(upn)]
    assert sorted((e["type"], e["channel"], e["recipient_kind"]) for e in events) == [
        ("attendance.notification.sent", "app", "parent"),
        ("attendance.notification.sent", "email", "parent"),
    ]
    assert all(feed.email("mum") not in json.dumps(e) for e in events)  # never the address


async def test_an_sms_goes_through_gov_uk_notify_with_the_message_text(feed, dispatcher, stand_in):
    phone = f"07700{feed.tag[:6].translate(str.maketrans('abcdef', '123456'))}"
    upn = await pupil_with_mum(feed, phone=phone)
    await feed.raise_alert(upn, "first_day_absence")
    await drain(dispatcher)
    sent = [json.loads(r.body) for r in stand_in.at("/v2/notifications/sms")]
    (sms,) = [s for s in sent if s["phone_number"] == phone]
    assert "Ada was not in school for the morning register" in sms["personalisation"]["body"]
    (delivery,) = await feed.deliveries(upn, channel="sms")
    assert (delivery.status, delivery.attempts, sms["reference"]) == ("sent", 1, delivery.id)


async def test_a_webhook_is_signed_per_standard_webhooks_and_carries_thin_alert_data(
    feed, dispatcher, stand_in, client
):
    upn = await pupil_with_mum(feed)
    created = await subscription(client, feed, stand_in.hook(f"la-{feed.tag}"))
    alert = await feed.raise_alert(upn, "severe_absence", day=None, rate=0.6, numerator=30, denominator=50)
    await drain(dispatcher)
    (request,) = stand_in.at(f"/hooks/la-{feed.tag}")
    event = Webhook(created["secret"]).verify(request.body, request.headers)
    assert (event["type"], event["source"], event["subject"]) == ("attendance.alert.raised", "alerts", upn)
    assert event["data"] == {
        "alert_id": alert.alert_id,
        "type": "severe_absence",
        "school_urn": feed.urn,
        "la_code": feed.la_code,
        "upn": upn,
        "date": None,
        "raised_at": "2026-11-16T09:00:00Z",
        "rule_version": "2024.1",
    }
    (delivery,) = await feed.deliveries(upn, channel="webhook")
    assert request.headers["webhook-id"] == delivery.id
    assert delivery.status == "sent"
    assert request.headers["user-agent"] == f"attendance-platform/{version('attendance-common')}"


async def test_a_webhook_signed_with_another_secret_does_not_verify(feed, dispatcher, stand_in, client):
    upn = await pupil_with_mum(feed)
    await subscription(client, feed, stand_in.hook(f"la-{feed.tag}"))
    await feed.raise_alert(upn, "fifteen_day_illness", day=None)
    await drain(dispatcher)
    (request,) = stand_in.at(f"/hooks/la-{feed.tag}")
    other = await subscription(client, feed, stand_in.hook("other"))
    with pytest.raises(Exception, match="signature"):
        Webhook(other["secret"]).verify(request.body, request.headers)


async def test_a_failing_webhook_is_retried_with_doubling_backoff_until_it_succeeds(
    feed, dispatcher, stand_in, client
):
    upn = await pupil_with_mum(feed)
    path = f"/hooks/flaky-{feed.tag}"
    stand_in.fail[path] = [500, 503]
    await subscription(client, feed, stand_in.base_url + path)
    await feed.raise_alert(upn, "fifteen_day_illness", day=None)
    await dispatcher.run_once(LATER)
    (first,) = await feed.deliveries(upn, channel="webhook")
    assert (first.status, first.attempts, first.error) == ("pending", 1, "webhook answered HTTP 500")
    assert first.next_attempt_at == LATER + dt.timedelta(seconds=60)
    await dispatcher.run_once(first.next_attempt_at)
    (second,) = await feed.deliveries(upn, channel="webhook")
    assert (second.attempts, second.next_attempt_at) == (2, first.next_attempt_at + dt.timedelta(seconds=120))
    await dispatcher.run_once(second.next_attempt_at)
    (third,) = await feed.deliveries(upn, channel="webhook")
    assert (third.status, third.attempts) == ("sent", 3)
    assert len(stand_in.at(path)) == 3


async def test_a_delivery_is_not_retried_before_its_backoff_is_due(feed, dispatcher, stand_in, client):
    upn = await pupil_with_mum(feed)
    path = f"/hooks/down-{feed.tag}"
    stand_in.fail[path] = [500, 500]
    await subscription(client, feed, stand_in.base_url + path)
    await feed.raise_alert(upn, "fifteen_day_illness", day=None)
    await dispatcher.run_once(LATER)
    await dispatcher.run_once(LATER + dt.timedelta(seconds=59))
    assert len(stand_in.at(path)) == 1


async def test_a_webhook_that_keeps_failing_gives_up_as_failed_and_publishes_it(
    feed, dispatcher, stand_in, client
):
    upn = await pupil_with_mum(feed)
    path = f"/hooks/dead-{feed.tag}"
    stand_in.fail[path] = [500] * 10
    await subscription(client, feed, stand_in.base_url + path)
    await feed.raise_alert(upn, "fifteen_day_illness", day=None)
    at = LATER
    for _ in range(5):
        await dispatcher.run_once(at)
        at += dt.timedelta(days=1)
    (delivery,) = await feed.deliveries(upn, channel="webhook")
    assert (delivery.status, delivery.attempts, delivery.error) == ("failed", 3, "webhook answered HTTP 500")
    assert len(stand_in.at(path)) == 3  # max attempts, then no more
    failed = [json.loads(r.data) for r in await feed.outbox(upn) if r.event_type.endswith("failed")]
    assert [(f["attempts"], f["channel"], f["error"]) for f in failed] == [
        (3, "webhook", "webhook answered HTTP 500")
    ]


def counted(channel: str, status: str) -> float:
    return (
        REGISTRY.get_sample_value("attendance_notifications_total", {"channel": channel, "status": status})
        or 0
    )


async def test_final_statuses_are_counted_for_prometheus_once_committed(feed, dispatcher, smtp):
    upn = await pupil_with_mum(feed)
    app_before, email_before = counted("app", "sent"), counted("email", "sent")
    await feed.raise_alert(upn, "first_day_absence")
    assert counted("app", "sent") == app_before + 1  # the feed message, sent with the alert
    assert counted("email", "sent") == email_before  # pending until the delivery loop sends it
    await drain(dispatcher)
    assert counted("email", "sent") == email_before + 1


async def test_a_refused_mailbox_fails_at_once_without_retrying(feed, dispatcher, smtp):
    upn = await pupil_with_mum(feed, email=f"nobody-{feed.tag}@refused.example")
    await feed.raise_alert(upn, "first_day_absence")
    await drain(dispatcher)
    (email,) = await feed.deliveries(upn, channel="email")
    assert (email.status, email.attempts) == ("failed", 1)
    assert "550" in (email.error or "")


async def test_unconfigured_email_and_sms_are_skipped_with_the_reason(
    feed, notifications_settings, notifications_database
):
    bare = notifications_settings.model_copy(update={"smtp_host": None, "notify_api_key": None})
    upn = await pupil_with_mum(feed, phone="07700900777")
    await feed.raise_alert(upn, "first_day_absence")
    await drain(Dispatcher(bare, notifications_database))
    by_channel = {d.channel: (d.status, d.attempts, d.error) for d in await feed.deliveries(upn)}
    assert by_channel == {
        "app": ("sent", 1, None),
        "email": ("skipped", 0, "email is not configured (NOTIFICATIONS_SMTP_HOST is not set)"),
        "sms": ("skipped", 0, "SMS is not configured (NOTIFY_API_KEY is not set)"),
    }


async def test_deleting_a_subscription_skips_its_unsent_webhooks(feed, dispatcher, stand_in, client):
    upn = await pupil_with_mum(feed)
    created = await subscription(client, feed, stand_in.hook(f"gone-{feed.tag}"))
    await feed.raise_alert(upn, "fifteen_day_illness", day=None)
    officer = auth("la_officer", la=feed.la_code)
    assert (await client.delete(f"/v1/subscriptions/{created['id']}", headers=officer)).status_code == 204
    await drain(dispatcher)
    (delivery,) = await feed.deliveries(upn, channel="webhook")
    assert (delivery.status, delivery.error) == ("skipped", "the webhook subscription was deleted")
    assert stand_in.at(f"/hooks/gone-{feed.tag}") == []
