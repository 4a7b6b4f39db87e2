"""Parents' preferences (api.md "Keeping parents informed"): email, SMS and attendance updates, all
on by default; honoured for every trigger but `first_day_absence`, a safeguarding contact that goes
out on every configured channel; a delivery not sent for them is `skipped` with error `opted_out`."""

from __future__ import annotations

import datetime as dt

import pytest
from notifications_support import Feed, auth, contact, new_upn
from updates_support import feed_of, present, register, send_updates, slots, updates_in

pytestmark = pytest.mark.integration

MON, FRI = dt.date(2026, 11, 16), dt.date(2026, 11, 20)
MUM_PHONE = "07700900123"


async def family(feed: Feed) -> str:
    upn = new_upn()
    await feed.school()
    parents = [
        contact("c1", "Mum", feed.email("mum"), priority=1, phone=MUM_PHONE),
        contact("c2", "Dad", feed.email("dad"), priority=2),
    ]
    await feed.pupil(upn, parents)
    return upn


async def prefer(client, parent: str, **wanted: bool):
    return await client.put("/v1/parent/preferences", json=wanted, headers=auth("parent", email=parent))


async def test_preferences_are_all_on_until_the_parent_changes_them(client, feed):
    mum = auth("parent", email=feed.email("mum"))
    assert (await client.get("/v1/parent/preferences", headers=mum)).json() == {
        "email": True,
        "sms": True,
        "attendance_updates": True,
    }

    first = await prefer(client, feed.email("mum"), email=False)
    second = await prefer(client, feed.email("mum"), email=False, attendance_updates=False)

    assert (first.status_code, second.status_code) == (201, 200)
    assert (await client.get("/v1/parent/preferences", headers=mum)).json() == {
        "email": False,
        "sms": True,
        "attendance_updates": False,
    }
    dad = auth("parent", email=feed.email("dad"))
    assert (await client.get("/v1/parent/preferences", headers=dad)).json()["email"] is True


async def test_an_email_a_parent_turned_off_is_skipped_as_opted_out_and_the_app_still_shows_it(client, feed):
    upn = await family(feed)
    await prefer(client, feed.email("mum"), email=False)

    await feed.raise_alert(upn, "persistent_absence", day=None, rate=0.12, numerator=6, denominator=50)

    assert await feed.routed(upn) == sorted(
        [
            ("parent", feed.email("dad"), "app", "sent"),
            ("parent", feed.email("dad"), "email", "pending"),
            ("parent", feed.email("mum"), "app", "sent"),
            ("parent", feed.email("mum"), "email", "skipped"),
        ]
    )
    (skipped,) = await feed.deliveries(upn, channel="email", address=feed.email("mum"))
    assert skipped.error == "opted_out"
    listed = await client.get(
        "/v1/notifications", params={"upn": upn, "status": "skipped"}, headers=auth("admin")
    )
    assert [n["error"] for n in listed.json()["notifications"]] == ["opted_out"]


async def test_a_first_day_contact_goes_out_on_every_channel_whatever_the_preferences(client, feed):
    upn = await family(feed)
    await prefer(client, feed.email("mum"), email=False, sms=False, attendance_updates=False)

    await feed.raise_alert(upn, "first_day_absence")

    mum = [(d.channel, d.status, d.error) for d in await feed.deliveries(upn) if d.recipient_name == "Mum"]
    assert sorted(mum) == [("app", "sent", None), ("email", "pending", None), ("sms", "pending", None)]


async def test_a_parent_who_turned_updates_off_gets_none_and_the_other_parent_still_does(client, feed):
    upn = await family(feed)
    await register(feed, upn, [(s, present(s)) for s in slots([MON, FRI])])
    await prefer(client, feed.email("mum"), attendance_updates=False)

    answer = await send_updates(client, feed, MON, FRI)

    assert answer.json()["messages"] == 1
    assert updates_in(await feed_of(client, feed.email("mum"))) == []
    assert len(updates_in(await feed_of(client, feed.email("dad")))) == 1
    mum = [(d.channel, d.status, d.error) for d in await feed.deliveries(upn) if d.recipient_name == "Mum"]
    assert sorted(mum) == [("app", "skipped", "opted_out"), ("email", "skipped", "opted_out")]


async def test_an_sms_a_parent_turned_off_is_skipped_for_other_triggers(client, feed):
    upn = await family(feed)
    scope = f"school:{feed.urn}"
    routes = {"routes": {"persistent_absence": {"parents": ["app", "email", "sms"]}}}
    staff = auth("school_staff", schools=[feed.urn])
    assert (await client.put(f"/v1/routing/{scope}", json=routes, headers=staff)).status_code in (200, 201)
    await prefer(client, feed.email("mum"), sms=False)

    await feed.raise_alert(upn, "persistent_absence", day=None, rate=0.12, numerator=6, denominator=50)

    (sms,) = await feed.deliveries(upn, channel="sms")
    assert (sms.address, sms.status, sms.error) == (MUM_PHONE, "skipped", "opted_out")


async def test_preferences_are_a_parents_own(client):
    staff = auth("school_staff", schools=["100001"])
    assert (await client.get("/v1/parent/preferences", headers=staff)).status_code == 403
    answer = await client.put("/v1/parent/preferences", json={"email": False}, headers=auth("admin"))
    assert (answer.status_code, answer.json()["code"]) == (403, "forbidden_role")
