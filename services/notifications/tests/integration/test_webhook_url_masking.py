"""An LA's webhook URL may hold its token: only that LA's officers and admins see it whole; school
staff reading the delivery log see where it goes, not the path or query."""

from __future__ import annotations

import pytest
from notifications_support import Feed, auth, contact, new_upn

pytestmark = pytest.mark.integration
TOKEN = "tok_5ecret"


async def webhook_delivery(feed: Feed, client) -> tuple[str, str]:
    """A pupil whose severe absence went to the LA's webhook; (upn, the webhook's URL)."""
    url = f"http://127.0.0.1:9/hooks/{feed.tag}?token={TOKEN}"
    officer = auth("la_officer", la=feed.la_code)
    body = {"url": url, "event_types": ["attendance.alert.raised"]}
    assert (await client.post("/v1/subscriptions", json=body, headers=officer)).status_code == 201
    upn = new_upn()
    await feed.school()
    await feed.pupil(upn, [contact("c1", "Mum", feed.email("mum"))])
    await feed.raise_alert(upn, "severe_absence", day=None)
    return upn, url


async def webhook_address(client, upn: str, headers: dict[str, str]) -> str:
    response = await client.get(
        "/v1/notifications", params={"upn": upn, "channel": "webhook"}, headers=headers
    )
    assert response.status_code == 200, response.text
    (row,) = response.json()["notifications"]
    return row["recipient"]["address"]


async def test_school_staff_see_only_where_the_las_webhook_goes(feed, client):
    upn, _ = await webhook_delivery(feed, client)
    staff = auth("school_staff", schools=[feed.urn])
    assert await webhook_address(client, upn, staff) == "http://127.0.0.1:9/***"
    response = await client.get("/v1/notifications", params={"upn": upn}, headers=staff)
    assert TOKEN not in response.text


async def test_the_las_officers_and_admins_see_the_whole_url(feed, client):
    upn, url = await webhook_delivery(feed, client)
    assert await webhook_address(client, upn, auth("la_officer", la=feed.la_code)) == url
    assert await webhook_address(client, upn, auth("admin")) == url
    listed = await client.get("/v1/subscriptions", headers=auth("la_officer", la=feed.la_code))
    assert url in [s["url"] for s in listed.json()["subscriptions"]]


async def test_another_las_officer_never_sees_the_url(feed, client):
    upn, _ = await webhook_delivery(feed, client)
    other = auth("la_officer", la=Feed(feed.consumer, feed.database, feed.urn).la_code)
    listed = await client.get("/v1/subscriptions", headers=other, params={"limit": 1000})
    assert TOKEN not in listed.text
    logged = await client.get("/v1/notifications", params={"upn": upn}, headers=other)
    assert TOKEN not in logged.text
