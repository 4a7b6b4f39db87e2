"""The delivery log, webhook subscriptions and routing: who may see and change what; problem codes."""

from __future__ import annotations

import pytest
from notifications_support import Feed, auth, contact, new_upn, new_urn

from attendance_common.events.alerts import ALERT_TYPES

pytestmark = pytest.mark.integration
FIELDS = {
    "id",
    "upn",
    "trigger",
    "recipient",
    "channel",
    "status",
    "attempts",
    "created_at",
    "sent_at",
    "error",
}


async def notified(feed: Feed) -> str:
    upn = new_upn()
    await feed.school()
    await feed.pupil(upn, [contact("c1", "Mum", feed.email("mum"))])
    await feed.raise_alert(upn, "first_day_absence")
    return upn


async def test_staff_see_their_schools_deliveries_with_the_documented_fields(feed, client):
    upn = await notified(feed)
    response = await client.get(
        "/v1/notifications", params={"school": feed.urn}, headers=auth("school_staff", schools=[feed.urn])
    )
    assert response.status_code == 200
    rows = response.json()["notifications"]
    assert [(r["channel"], r["status"]) for r in rows] == [("app", "sent"), ("email", "pending")]
    assert set(rows[0]) >= FIELDS
    assert rows[0]["recipient"]["kind"] == "parent" and rows[0]["recipient"]["address"] == feed.email("mum")
    assert (rows[0]["upn"], rows[0]["trigger"], rows[0]["attempts"]) == (upn, "first_day_absence", 1)


async def test_filters_by_upn_channel_and_status(feed, client):
    upn = await notified(feed)
    await notified(feed)
    params = {"upn": upn, "channel": "email", "status": "pending"}
    response = await client.get("/v1/notifications", params=params, headers=auth("admin"))
    assert [(r["upn"], r["channel"]) for r in response.json()["notifications"]] == [(upn, "email")]


async def test_staff_of_another_school_see_none_and_may_not_ask_for_it(feed, client):
    await notified(feed)
    other = auth("school_staff", schools=[new_urn()])
    assert (await client.get("/v1/notifications", headers=other)).json()["notifications"] == []
    response = await client.get("/v1/notifications", params={"school": feed.urn}, headers=other)
    assert (response.status_code, response.json()["code"]) == (403, "forbidden_school")


async def test_la_officers_see_only_their_las_deliveries(feed, client):
    upn = await notified(feed)
    mine = await client.get(
        "/v1/notifications", params={"upn": upn}, headers=auth("la_officer", la=feed.la_code)
    )
    assert len(mine.json()["notifications"]) == 2
    other_la = str((int(feed.la_code) % 899) + 101)
    theirs = await client.get(
        "/v1/notifications", params={"upn": upn}, headers=auth("la_officer", la=other_la)
    )
    assert theirs.json()["notifications"] == []


async def test_parents_and_social_workers_may_not_read_the_log(client):
    for headers in (auth("parent", email="p@example.com"), auth("social_worker", email="s@example.com")):
        response = await client.get("/v1/notifications", headers=headers)
        assert (response.status_code, response.json()["code"]) == (403, "forbidden_role")


async def test_the_log_pages_with_a_cursor(feed, client):
    upn = await notified(feed)
    first = (
        await client.get("/v1/notifications", params={"upn": upn, "limit": 1}, headers=auth("admin"))
    ).json()
    second = (
        await client.get(
            "/v1/notifications",
            params={"upn": upn, "limit": 1, "after": first["next"]},
            headers=auth("admin"),
        )
    ).json()
    assert [r["channel"] for r in first["notifications"] + second["notifications"]] == ["app", "email"]
    assert second["next"] is None


async def test_an_unknown_channel_is_a_validation_problem(client):
    response = await client.get("/v1/notifications", params={"channel": "pigeon"}, headers=auth("admin"))
    assert (response.status_code, response.json()["code"]) == (422, "validation_error")


async def test_an_la_officer_creates_lists_and_deletes_a_subscription(client):
    officer = auth("la_officer", la="381")
    body = {"url": "http://127.0.0.1:9/hook", "event_types": ["attendance.alert.raised"]}
    created = await client.post("/v1/subscriptions", json=body, headers=officer)
    assert created.status_code == 201
    secret = created.json()["secret"]
    assert secret.startswith("whsec_") and len(secret) > 30
    listed = (await client.get("/v1/subscriptions", headers=officer)).json()["subscriptions"]
    mine = [s for s in listed if s["id"] == created.json()["id"]]
    assert mine and mine[0]["alert_types"] == list(ALERT_TYPES) and "secret" not in mine[0]
    other = auth("la_officer", la="382")
    assert created.json()["id"] not in [
        s["id"] for s in (await client.get("/v1/subscriptions", headers=other)).json()["subscriptions"]
    ]
    gone = await client.delete(f"/v1/subscriptions/{created.json()['id']}", headers=other)
    assert (gone.status_code, gone.json()["code"]) == (404, "unknown_subscription")
    assert (
        await client.delete(f"/v1/subscriptions/{created.json()['id']}", headers=officer)
    ).status_code == 204
    again = await client.delete(f"/v1/subscriptions/{created.json()['id']}", headers=officer)
    assert again.status_code == 404


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"url": "ftp://example.com/x", "event_types": ["attendance.alert.raised"]}, "bad_webhook_url"),
        (
            {"url": "http://127.0.0.1/x", "event_types": ["attendance.mark.recorded"]},
            "unsupported_event_type",
        ),
        (
            {"url": "http://127.0.0.1/x", "event_types": ["attendance.alert.raised"], "alert_types": ["x"]},
            "unknown_alert_type",
        ),
        ({"url": "http://127.0.0.1/x", "event_types": []}, "validation_error"),
    ],
)
async def test_bad_subscriptions_are_refused_with_a_stable_code(client, body, code):
    response = await client.post("/v1/subscriptions", json=body, headers=auth("la_officer", la="381"))
    assert (response.status_code, response.json()["code"]) == (422, code)


async def test_school_staff_may_not_subscribe(client):
    body = {"url": "http://127.0.0.1/x", "event_types": ["attendance.alert.raised"]}
    response = await client.post(
        "/v1/subscriptions", json=body, headers=auth("school_staff", schools=["100001"])
    )
    assert (response.status_code, response.json()["code"]) == (403, "forbidden_role")


async def test_routing_shows_the_default_table_and_a_schools_override(feed, client):
    await feed.school()
    default = (await client.get("/v1/routing", headers=auth("admin"))).json()
    assert default["routes"]["first_day_absence"] == {"parents": ["app", "email", "sms"]}
    assert default["routes"]["severe_absence"] == {
        "parents": ["app", "email"],
        "social_worker": ["email"],
        "local_authority": ["webhook"],
    }
    staff = auth("school_staff", schools=[feed.urn])
    body = {"routes": {"persistent_absence": {"parents": ["app"]}}}
    assert (await client.put(f"/v1/routing/school:{feed.urn}", json=body, headers=staff)).status_code == 201
    assert (await client.put(f"/v1/routing/school:{feed.urn}", json=body, headers=staff)).status_code == 200
    shown = (await client.get("/v1/routing", params={"school": feed.urn}, headers=staff)).json()
    assert shown["routes"]["persistent_absence"] == {"parents": ["app"]}


@pytest.mark.parametrize(
    ("routes", "code", "status"),
    [
        ({"first_day_absence": {"parents": ["webhook"]}}, "bad_route", 422),
        ({"made_up": {"parents": ["app"]}}, "bad_route", 422),
    ],
)
async def test_bad_routes_are_refused(feed, client, routes, code, status):
    response = await client.put(
        f"/v1/routing/school:{feed.urn}", json={"routes": routes}, headers=auth("admin")
    )
    assert (response.status_code, response.json()["code"]) == (status, code)


async def test_staff_may_not_change_another_schools_routing(client):
    staff = auth("school_staff", schools=[new_urn()])
    body = {"routes": {"first_day_absence": {"parents": []}}}
    response = await client.put(f"/v1/routing/school:{new_urn()}", json=body, headers=staff)
    assert (response.status_code, response.json()["code"]) == (403, "forbidden_scope")


async def test_a_subscription_answers_its_effective_alert_types(client):
    officer = auth("la_officer", la="381")
    hook = "http://127.0.0.1:9/hook"

    async def created(**body) -> list[str]:
        answer = await client.post("/v1/subscriptions", json={"url": hook, **body}, headers=officer)
        assert answer.status_code == 201, answer.text
        return answer.json()["alert_types"]

    # No (or empty) alert_types: every alert type its alert event types carry; none without one.
    assert await created(event_types=["attendance.alert.cleared"]) == list(ALERT_TYPES)
    assert await created(event_types=["attendance.alert.raised"], alert_types=[]) == list(ALERT_TYPES)
    assert await created(event_types=["attendance.pupil.deleted"]) == []
    chosen = await created(event_types=["attendance.alert.raised"], alert_types=["severe_absence"])
    assert chosen == ["severe_absence"]
