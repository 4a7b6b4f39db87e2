"""Routing within scope (api.md "Authorisation clarified"): a school's overrides are read only by those
who may see the school, statutory routes are never switched off for one school, scopes match whole;
an LA officer subscribes only for its own LA."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest
from notifications_support import Feed, auth, contact, new_la, new_upn, new_urn

pytestmark = pytest.mark.integration
# (trigger, audience) of each statutory route: first-day contact, the social worker, the LA's deletion notice.
STATUTORY = [
    ("first_day_absence", "parents"),
    ("social_worker_unexplained_absence", "social_worker"),
    ("pupil_deleted", "local_authority"),
]


def off(trigger: str, audience: str) -> dict:
    return {"routes": {trigger: {audience: []}}}


async def put(client: httpx.AsyncClient, scope: str, body: dict, headers: dict[str, str]) -> httpx.Response:
    return await client.put(f"/v1/routing/{scope}", json=body, headers=headers)


async def routes_at(client: httpx.AsyncClient, urn: str) -> dict:
    answer = await client.get("/v1/routing", params={"school": urn}, headers=auth("admin"))
    assert answer.status_code == 200, answer.text
    return answer.json()["routes"]


def refused(response: httpx.Response, code: str) -> bool:
    return (response.status_code, response.json()["code"]) == (403, code)


def officer(feed: Feed) -> dict[str, str]:
    return auth("la_officer", la=feed.la_code)


@pytest.mark.parametrize(("trigger", "audience"), STATUTORY)
async def test_school_staff_may_not_switch_a_statutory_route_off(feed, client, trigger, audience):
    await feed.school()
    staff = auth("school_staff", schools=[feed.urn])
    response = await put(client, f"school:{feed.urn}", off(trigger, audience), staff)
    assert refused(response, "statutory_trigger"), response.text
    assert (await routes_at(client, feed.urn))[trigger][audience]


@pytest.mark.parametrize("who", ["la_officer", "admin"])
async def test_not_even_the_la_or_an_admin_switches_one_off_at_school_scope(feed, client, who):
    await feed.school()
    headers = officer(feed) if who == "la_officer" else auth("admin")
    response = await put(client, f"school:{feed.urn}", off("pupil_deleted", "local_authority"), headers)
    assert refused(response, "statutory_trigger"), response.text


async def test_a_school_may_switch_off_a_route_that_is_not_statutory(feed, client):
    await feed.school()
    staff = auth("school_staff", schools=[feed.urn])
    response = await put(client, f"school:{feed.urn}", off("persistent_absence", "parents"), staff)
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("who", ["la_officer", "admin"])
async def test_the_la_or_an_admin_switches_first_day_contact_off_for_the_las_schools(feed, client, who):
    upn = new_upn()
    await feed.school()
    await feed.pupil(upn, [contact("c1", "Mum", feed.email("mum"))])
    headers = officer(feed) if who == "la_officer" else auth("admin")
    response = await put(client, f"la:{feed.la_code}", off("first_day_absence", "parents"), headers)
    assert response.status_code == 201, response.text
    await feed.raise_alert(upn, "first_day_absence")
    assert await feed.routed(upn) == []


async def test_an_la_officer_may_not_set_another_las_routing(feed, client):
    response = await put(
        client, f"la:{feed.la_code}", off("persistent_absence", "parents"), auth("la_officer", la=new_la())
    )
    assert refused(response, "forbidden_scope"), response.text


# Reading a school's overrides


async def overridden_school(feed: Feed, client: httpx.AsyncClient) -> str:
    await feed.school()
    body = {"routes": {"persistent_absence": {"parents": ["app"]}}}
    assert (await put(client, f"school:{feed.urn}", body, auth("admin"))).status_code == 201
    return feed.urn


@pytest.mark.parametrize("outsider", ["staff_of_another_school", "officer_of_another_la"])
async def test_a_schools_routing_is_not_read_outside_scope(feed, client, outsider):
    urn = await overridden_school(feed, client)
    headers = {
        "staff_of_another_school": auth("school_staff", schools=[new_urn()]),
        "officer_of_another_la": auth("la_officer", la=new_la()),
    }[outsider]
    response = await client.get("/v1/routing", params={"school": urn}, headers=headers)
    assert refused(response, "forbidden_school"), response.text


async def test_a_schools_staff_and_its_la_read_its_routing(feed, client):
    urn = await overridden_school(feed, client)
    for headers in (auth("school_staff", schools=[urn]), officer(feed)):
        response = await client.get("/v1/routing", params={"school": urn}, headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["scopes"][f"school:{urn}"] == {"persistent_absence": {"parents": ["app"]}}


@pytest.mark.parametrize(
    "scope",
    ["la:380x", "school:1000011", "school:100001\n", "la:380\n", "default\n", "la:\u0663\u0668\u0660"],
)
async def test_a_scope_must_match_whole(client, scope):
    response = await client.put(
        f"/v1/routing/{quote(scope, safe=':')}", json={"routes": {}}, headers=auth("admin")
    )
    assert (response.status_code, response.json()["code"]) == (422, "bad_scope")


async def test_an_la_officer_may_not_subscribe_for_another_la(client):
    body = {"url": "http://127.0.0.1:9/hook", "event_types": ["attendance.alert.raised"], "la_code": "382"}
    response = await client.post("/v1/subscriptions", json=body, headers=auth("la_officer", la="381"))
    assert refused(response, "forbidden_la"), response.text
