"""Rules within scope (api.md "Authorisation clarified"): a school's overrides are read only by those
who may see the school, and the statutory alerts are never switched off for one school."""

from __future__ import annotations

import httpx
import pytest
from alerts_api_support import (
    DEFAULT_THRESHOLDS,
    admin,
    auth,
    forget_scopes,
    other_school,
    pupil_with_social_worker,
    staff,
)
from alerts_support import new_upn, new_urn

pytestmark = pytest.mark.integration
STATUTORY = ["first_day_absence", "social_worker_unexplained_absence"]


def without(kind: str) -> dict:
    return {"enabled": [t for t in DEFAULT_THRESHOLDS["enabled"] if t != kind]}


async def put(client: httpx.AsyncClient, scope: str, body: dict, headers: dict[str, str]) -> httpx.Response:
    return await client.put(f"/v1/rules/{scope}", json=body, headers=headers)


async def enabled_at(client: httpx.AsyncClient, urn: str) -> list[str]:
    answer = await client.get("/v1/rules", params={"school": urn}, headers=admin())
    return answer.json()["thresholds"]["enabled"]


def refused(response: httpx.Response, code: str) -> bool:
    return (response.status_code, response.json()["code"]) == (403, code)


@pytest.mark.parametrize("kind", STATUTORY)
async def test_school_staff_may_not_switch_a_statutory_alert_off_for_their_school(client, feed, kind):
    await feed.pupil(new_upn())
    response = await put(client, f"school:{feed.urn}", without(kind), staff(feed.urn))
    assert refused(response, "statutory_trigger"), response.text
    assert kind in await enabled_at(client, feed.urn)


@pytest.mark.parametrize("who", ["la_officer", "admin"])
async def test_not_even_the_la_or_an_admin_switches_one_off_at_school_scope(client, feed, who):
    await feed.pupil(new_upn())
    headers = auth("la_officer", la=feed.la_code) if who == "la_officer" else admin()
    response = await put(client, f"school:{feed.urn}", without("first_day_absence"), headers)
    assert refused(response, "statutory_trigger"), response.text


async def test_school_staff_may_switch_off_an_alert_that_is_not_statutory(client, feed):
    response = await put(client, f"school:{feed.urn}", without("overdue_n"), staff(feed.urn))
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("who", ["la_officer", "admin"])
async def test_the_la_or_an_admin_switches_a_statutory_alert_off_for_the_las_schools(
    client, feed, alerts_database, who
):
    school = other_school(feed, la_code="384")  # an LA code no other test sets rules for
    await school.pupil(new_upn())
    headers = auth("la_officer", la="384") if who == "la_officer" else admin()
    try:
        response = await put(client, "la:384", without("social_worker_unexplained_absence"), headers)
        in_force = await enabled_at(client, school.urn)
    finally:
        await forget_scopes(alerts_database, "la:384")
    assert response.status_code == 201, response.text
    assert "social_worker_unexplained_absence" not in in_force


async def test_a_school_setting_its_switches_keeps_the_statutory_ones(client, feed):
    await feed.pupil(new_upn())
    body = {"enabled": [*STATUTORY, "severe_absence"]}
    assert (await put(client, f"school:{feed.urn}", body, staff(feed.urn))).status_code == 201
    assert await enabled_at(client, feed.urn) == sorted(body["enabled"])


# Reading a school's overrides


async def overridden_school(client, feed) -> str:
    await feed.pupil(new_upn())
    assert (await put(client, f"school:{feed.urn}", {"illness_days": 9}, admin())).status_code == 201
    return feed.urn


OUTSIDERS = {
    "staff_of_another_school": lambda: staff(new_urn()),
    "officer_of_another_la": lambda: auth("la_officer", la="999"),
    "social_worker_of_no_pupil_there": lambda: auth("social_worker", email="not.theirs@la.example"),
}


@pytest.mark.parametrize("outsider", OUTSIDERS)
async def test_a_schools_rules_are_not_read_outside_scope(client, feed, outsider):
    urn = await overridden_school(client, feed)
    response = await client.get("/v1/rules", params={"school": urn}, headers=OUTSIDERS[outsider]())
    assert refused(response, "forbidden_school"), response.text
    assert "illness_days" not in response.text


async def test_a_schools_staff_its_la_and_a_social_worker_of_a_pupil_there_read_its_rules(client, feed):
    urn = await overridden_school(client, feed)
    email = f"sam.worker-{urn}@la.example"
    await pupil_with_social_worker(feed, new_upn(), email)
    for headers in (staff(urn), auth("la_officer", la=feed.la_code), auth("social_worker", email=email)):
        response = await client.get("/v1/rules", params={"school": urn}, headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["scopes"][f"school:{urn}"] == {"illness_days": 9}
