"""Rules per scope (api.md "Alerts": `GET /v1/rules`, `PUT /v1/rules/{scope}`), and their effect on alerts.

The alerts database is shared by the session's tests: rules are set only on fresh schools and
on LA codes no other test uses, and `default`/`la:380` keep the default values and are removed.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import httpx
import pytest
from alerts_api_support import DEFAULT_THRESHOLDS, admin, auth, forget_scopes, other_school, staff
from alerts_support import new_upn, school_days

pytestmark = pytest.mark.integration
MON = dt.date(2026, 11, 2)


async def put(client: httpx.AsyncClient, scope: str, body: dict, headers: dict[str, str]) -> httpx.Response:
    return await client.put(f"/v1/rules/{scope}", json=body, headers=headers)


async def open_types(client: httpx.AsyncClient, upn: str) -> set[str]:
    body = (await client.get("/v1/alerts", params={"upn": upn}, headers=admin())).json()
    return {a["type"] for a in body["alerts"]}


async def test_get_rules_answers_the_default_thresholds(client, feed):
    response = await client.get("/v1/rules", headers=staff(feed.urn))
    assert response.status_code == 200
    assert (response.json()["scope"], response.json()["thresholds"]) == ("default", DEFAULT_THRESHOLDS)


async def test_parents_may_not_read_rules(client):
    response = await client.get("/v1/rules", headers=auth("parent", email="p@example.com"))
    assert response.status_code == 403


async def test_an_admin_puts_default_rules_201_when_new_then_200(client, alerts_database):
    await forget_scopes(alerts_database, "default")
    try:
        first = await put(client, "default", {"overdue_n_school_days": 5}, admin())
        second = await put(client, "default", {"overdue_n_school_days": 5}, admin())
    finally:
        await forget_scopes(alerts_database, "default")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["scope"] == "default"
    assert first.json()["thresholds"] == DEFAULT_THRESHOLDS


async def test_an_la_officer_sets_their_own_las_rules(client, alerts_database):
    await forget_scopes(alerts_database, "la:380")
    try:
        response = await put(client, "la:380", {"overdue_n_school_days": 5}, auth("la_officer", la="380"))
    finally:
        await forget_scopes(alerts_database, "la:380")
    assert response.status_code == 201, response.text
    assert response.json()["scope"] == "la:380"


async def test_an_la_officer_may_not_set_another_las_rules(client):
    response = await put(client, "la:380", {"illness_days": 3}, auth("la_officer", la="999"))
    assert response.status_code == 403


async def test_school_staff_set_their_schools_rules(client, feed):
    response = await put(client, f"school:{feed.urn}", {"illness_days": 12}, staff(feed.urn))
    assert response.status_code == 201, response.text
    assert (response.json()["scope"], response.json()["thresholds"]["illness_days"]) == (
        f"school:{feed.urn}",
        12,
    )


async def test_school_staff_may_not_set_another_schools_rules(client, feed):
    elsewhere = other_school(feed)
    response = await put(client, f"school:{elsewhere.urn}", {"illness_days": 3}, staff(feed.urn))
    assert response.status_code == 403


async def test_school_staff_may_not_set_default_rules(client, feed):
    response = await put(client, "default", {"illness_days": 3}, staff(feed.urn))
    assert response.status_code == 403


async def test_an_mis_may_not_set_its_schools_rules(client, feed):
    response = await put(client, f"school:{feed.urn}", {"illness_days": 3}, auth("mis", schools=[feed.urn]))
    assert response.status_code == 403


@pytest.mark.parametrize(
    "scope",
    [
        "global",
        "la:38",
        "la:abc",
        "school:12345",
        "school:",
        "School:100001",
        "la:380x",
        "school:1000011",
        "school:100001\n",
        "la:380\n",
        "default\n",
        "la:\u0663\u0668\u0660",  # Arabic-Indic digits, which a \d pattern takes
    ],
)
async def test_a_scope_other_than_default_la_or_school_is_422_bad_scope(client, scope):
    response = await client.put(
        f"/v1/rules/{quote(scope, safe=':')}", json={"illness_days": 3}, headers=admin()
    )
    assert response.status_code == 422
    assert response.json()["code"] == "bad_scope"


async def test_an_unknown_alert_type_in_enabled_is_422(client, feed):
    body = {"enabled": ["first_day_absence", "truancy"]}
    response = await put(client, f"school:{feed.urn}", body, admin())
    assert response.status_code == 422
    assert response.json()["code"] == "unknown_alert_type"


@pytest.mark.parametrize("rate", [1.5, -0.1, "3/2"])
async def test_a_rate_outside_0_to_1_is_422(client, feed, rate):
    response = await put(client, f"school:{feed.urn}", {"persistent_rate": rate}, admin())
    assert response.status_code == 422
    assert response.json()["code"] == "bad_threshold"


async def test_an_unknown_threshold_is_422(client, feed):
    response = await put(client, f"school:{feed.urn}", {"truancy_days": 3}, admin())
    assert response.status_code == 422


async def test_the_most_specific_scope_wins_field_by_field(client, feed, alerts_database):
    school = other_school(feed, la_code="381")  # an LA code no other test sets rules for
    await school.pupil(new_upn())
    try:
        await put(client, "la:381", {"illness_days": 12, "penalty_sessions": 8}, admin())
        await put(client, f"school:{school.urn}", {"illness_days": 9}, admin())
        response = await client.get("/v1/rules", params={"school": school.urn}, headers=staff(school.urn))
    finally:
        await forget_scopes(alerts_database, "la:381")
    assert response.status_code == 200
    body = response.json()
    assert body["scope"] == f"school:{school.urn}"
    assert body["thresholds"] == {**DEFAULT_THRESHOLDS, "illness_days": 9, "penalty_sessions": 8}
    assert body["scopes"]["la:381"] == {"illness_days": 12, "penalty_sessions": 8}
    assert body["scopes"][f"school:{school.urn}"] == {"illness_days": 9}


async def test_a_put_answers_the_thresholds_then_in_force_at_that_scope(client, feed, alerts_database):
    school = other_school(feed, la_code="382")
    await school.pupil(new_upn())
    try:
        await put(client, "la:382", {"penalty_sessions": 8}, admin())
        answer = await put(client, f"school:{school.urn}", {"illness_days": 9}, admin())
        in_force = await client.get("/v1/rules", params={"school": school.urn}, headers=admin())
    finally:
        await forget_scopes(alerts_database, "la:382")
    assert answer.json()["thresholds"] == in_force.json()["thresholds"]
    assert answer.json()["thresholds"]["penalty_sessions"] == 8


async def test_a_lower_min_possible_sessions_makes_the_worker_raise_persistent_absence(client, feed):
    before, after = new_upn(), new_upn()
    days = school_days(dt.date(2026, 9, 7), 6)  # 12 possible sessions, 2 absent: 17%
    await feed.marks(before, days[:5], "/", "\\")
    await feed.marks(before, days[5:], "I", "I")
    assert "persistent_absence" not in await open_types(client, before)

    response = await put(client, f"school:{feed.urn}", {"min_possible_sessions": 10}, staff(feed.urn))
    assert response.status_code == 201
    await feed.marks(after, days[:5], "/", "\\")
    await feed.marks(after, days[5:], "I", "I")
    assert "persistent_absence" in await open_types(client, after)


async def test_a_type_left_out_of_enabled_is_not_raised(client, feed):
    enabled = [t for t in DEFAULT_THRESHOLDS["enabled"] if t != "persistent_absence"]
    response = await put(client, f"school:{feed.urn}", {"enabled": enabled}, staff(feed.urn))
    assert response.status_code == 201, response.text
    upn = new_upn()
    days = school_days(dt.date(2026, 9, 7), 20)  # 40 possible sessions, 20 absent: 50%
    await feed.marks(upn, days[:10], "/", "\\")
    await feed.marks(upn, days[10:], "I", "I")
    assert "persistent_absence" not in await open_types(client, upn)
    assert "severe_absence" in await open_types(client, upn)


async def test_an_la_officer_switches_first_day_absence_off_for_its_schools(client, feed, alerts_database):
    school = other_school(feed, la_code="383")  # an LA code no other test sets rules for
    enabled = [t for t in DEFAULT_THRESHOLDS["enabled"] if t != "first_day_absence"]
    try:
        response = await put(client, "la:383", {"enabled": enabled}, auth("la_officer", la="383"))
        assert response.status_code == 201, response.text
        upn = new_upn()
        await school.marks(upn, [MON], "N")
    finally:
        await forget_scopes(alerts_database, "la:383")
    assert "first_day_absence" not in await open_types(client, upn)


async def test_an_emerging_clear_rate_above_the_emerging_rate_is_422_bad_threshold(client, feed):
    body = {"emerging_rate": 0.08, "emerging_clear_rate": 0.09}
    response = await put(client, f"school:{feed.urn}", body, admin())
    assert response.status_code == 422
    assert response.json()["code"] == "bad_threshold"


async def test_a_school_sets_its_emerging_window_and_rates(client, alerts_database, feed):
    body = {"emerging_rate": 0.08, "emerging_clear_rate": 0.07, "emerging_days": 15}
    response = await put(client, f"school:{feed.urn}", body, admin())
    assert response.status_code == 201, response.text
    thresholds = response.json()["thresholds"]
    assert (thresholds["emerging_rate"], thresholds["emerging_clear_rate"], thresholds["emerging_days"]) == (
        0.08,
        0.07,
        15,
    )
