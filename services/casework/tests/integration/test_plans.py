"""Plans on a case (api.md Part 2 "Schools and the LA plan together"): create, review, end, the two
case filters and the plan events, over real HTTP on PostgreSQL and SQLite."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from casework_support import admin, auth, la_officer, new_email, new_upn, new_urn, only_case, staff
from sqlalchemy import update

from attendance_common.clock import today_in_london
from casework.models import Plan

pytestmark = pytest.mark.integration
PROBLEM = "application/problem+json"
LEAD = {"name": "Sam Patel", "role": "Attendance officer", "organisation": "LA 380", "email": "sam@la.gov.uk"}


def plan_body(**changes: Any) -> dict[str, Any]:
    today = today_in_london()
    return {
        "kind": "joint_school_la",
        "lead": LEAD,
        "targets": [{"description": "In school every Monday", "attendance_rate": 0.9, "by": "2027-02-12"}],
        "review_on": (today + dt.timedelta(days=28)).isoformat(),
        "agreed_with_family": True,
        **changes,
    }


async def severe_case(client, feed) -> tuple[str, str, dict]:
    """A pupil whose severe-absence alert opened the family's case."""
    urn, upn = new_urn(), new_upn()
    await feed.pupil(urn, upn, email=new_email())
    await feed.alert(urn, upn, "severe_absence")
    return urn, upn, await only_case(client, upn)


async def new_plan(client, case_id: str, headers: dict[str, str], **changes: Any) -> dict[str, Any]:
    response = await client.post(f"/v1/cases/{case_id}/plans", json=plan_body(**changes), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_a_plan_starts_active_with_its_lead_targets_and_review_date_and_the_case_shows_it(client, feed):
    urn, _upn, case = await severe_case(client, feed)

    plan = await new_plan(client, case["id"], staff(urn))

    assert (plan["kind"], plan["status"], plan["reviews"], plan["created_by"]) == (
        "joint_school_la",
        "active",
        [],
        f"staff-{urn}",
    )
    assert plan["lead"] == LEAD
    assert plan["targets"] == plan_body()["targets"]
    assert (plan["review_on"], plan["agreed_with_family"]) == (plan_body()["review_on"], True)
    shown = (await client.get(f"/v1/cases/{case['id']}", headers=admin())).json()
    assert [p["id"] for p in shown["plans"]] == [plan["id"]]


async def test_agreeing_a_plan_publishes_plan_agreed_without_the_leads_email(client, feed):
    urn, upn, case = await severe_case(client, feed)
    plan = await new_plan(client, case["id"], la_officer())

    (event,) = [row for row in await feed.outbox(case["id"]) if row.event_type == "attendance.plan.agreed"]
    data = json.loads(event.data)
    assert (data["plan_id"], data["kind"], data["review_on"]) == (
        plan["id"],
        "joint_school_la",
        plan["review_on"],
    )
    assert data["lead"] == {"name": "Sam Patel", "role": "Attendance officer", "organisation": "LA 380"}
    assert [(p["school_urn"], p["upn"]) for p in data["pupils"]] == [(urn, upn)]
    assert "sam@la.gov.uk" not in str(data)


async def test_a_review_moves_the_review_date_on_and_is_published(client, feed):
    urn, _, case = await severe_case(client, feed)
    plan = await new_plan(client, case["id"], staff(urn))
    today = today_in_london()
    review = {
        "held_on": today.isoformat(),
        "progress": "improving",
        "next_review_on": (today + dt.timedelta(days=42)).isoformat(),
        "note": "Mondays are better",
    }

    response = await client.post(
        f"/v1/cases/{case['id']}/plans/{plan['id']}/reviews", json=review, headers=staff(urn)
    )

    assert response.status_code == 201, response.text
    reviewed = response.json()
    assert reviewed["review_on"] == review["next_review_on"]
    assert [(r["progress"], r["note"]) for r in reviewed["reviews"]] == [("improving", "Mondays are better")]
    (event,) = [row for row in await feed.outbox(case["id"]) if row.event_type == "attendance.plan.reviewed"]
    data = json.loads(event.data)
    assert (data["progress"], data["review_on"]) == ("improving", review["next_review_on"])
    assert "Mondays" not in event.data


async def test_an_ended_plan_is_no_longer_active_and_cannot_be_reviewed_or_ended_again(client, feed):
    urn, _, case = await severe_case(client, feed)
    plan = await new_plan(client, case["id"], staff(urn))
    path = f"/v1/cases/{case['id']}/plans/{plan['id']}"

    response = await client.post(f"{path}/end", json={"outcome": "attendance_improved"}, headers=admin())

    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["outcome"]) == ("ended", "attendance_improved")
    assert "attendance.plan.ended" in [row.event_type for row in await feed.outbox(case["id"])]
    again = await client.post(f"{path}/end", json={"outcome": "other"}, headers=admin())
    assert (again.status_code, again.json()["code"]) == (409, "plan_ended")
    today = today_in_london().isoformat()
    review = {"held_on": today, "progress": "no_change", "next_review_on": "2099-01-01"}
    late = await client.post(f"{path}/reviews", json=review, headers=admin())
    assert (late.status_code, late.json()["code"]) == (409, "plan_ended")


async def test_closing_a_case_ends_its_active_plans(client, feed):
    urn, _, case = await severe_case(client, feed)
    await new_plan(client, case["id"], staff(urn))

    closed = await client.post(
        f"/v1/cases/{case['id']}/close", json={"outcome": "moved_school"}, headers=admin()
    )

    assert closed.status_code == 200, closed.text
    assert [(p["status"], p["outcome"]) for p in closed.json()["plans"]] == [("ended", "moved_school")]


@pytest.mark.parametrize(
    ("path", "body", "code"),
    [
        ("plans", {"kind": "joint_plan"}, "unknown_plan_kind"),
        ("plans", {"review_on": "2020-01-01"}, "review_before_plan_started"),
        ("reviews", {"progress": "better"}, "unknown_progress"),
        ("reviews", {"held_on": "2020-01-01"}, "review_before_plan_started"),
        ("reviews", {"next_review_on": "2020-01-01"}, "next_review_not_after_review"),
        ("end", {"outcome": "done"}, "unknown_plan_outcome"),
    ],
)
async def test_bad_plan_input_is_a_422_with_a_stable_code_and_stores_nothing(client, feed, path, body, code):
    urn, _, case = await severe_case(client, feed)
    plan = await new_plan(client, case["id"], staff(urn))
    before = (await client.get(f"/v1/cases/{case['id']}", headers=admin())).json()["plans"]
    events_before = len(await feed.outbox(case["id"]))
    today = today_in_london()
    if path == "plans":
        url, sent = f"/v1/cases/{case['id']}/plans", plan_body(**body)
    elif path == "reviews":
        review = {"held_on": today.isoformat(), "progress": "improving", "next_review_on": "2099-01-01"}
        url, sent = f"/v1/cases/{case['id']}/plans/{plan['id']}/reviews", {**review, **body}
    else:
        url, sent = f"/v1/cases/{case['id']}/plans/{plan['id']}/end", body

    response = await client.post(url, json=sent, headers=staff(urn))

    assert (response.status_code, response.json()["code"]) == (422, code), response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert (await client.get(f"/v1/cases/{case['id']}", headers=admin())).json()["plans"] == before
    assert len(await feed.outbox(case["id"])) == events_before


async def test_a_plan_on_another_schools_family_is_404_and_a_governor_is_403(client, feed):
    urn, _, case = await severe_case(client, feed)
    elsewhere = await client.post(f"/v1/cases/{case['id']}/plans", json=plan_body(), headers=staff(new_urn()))
    assert (elsewhere.status_code, elsewhere.json()["code"]) == (404, "unknown_case")
    governor = auth("governor", schools=[urn])
    refused = await client.post(f"/v1/cases/{case['id']}/plans", json=plan_body(), headers=governor)
    assert refused.status_code == 403


async def test_review_overdue_lists_open_cases_with_an_active_plan_past_its_review_date(
    client, feed, casework_database
):
    urn, _upn, case = await severe_case(client, feed)
    _, _due_upn, due_case = await severe_case(client, feed)
    await new_plan(client, case["id"], staff(urn))
    overdue = await new_plan(client, due_case["id"], admin())
    async with casework_database.transaction() as session:  # four weeks on, nobody reviewed it
        yesterday = today_in_london() - dt.timedelta(days=1)
        await session.execute(update(Plan).where(Plan.id == overdue["id"]).values(review_on=yesterday))

    listed = await client.get("/v1/cases", params={"review_overdue": "true", "limit": 1000}, headers=admin())

    ids = {c["id"] for c in listed.json()["cases"]}
    assert due_case["id"] in ids and case["id"] not in ids


async def test_missing_joint_plan_lists_severe_cases_until_a_joint_plan_is_active(client, feed):
    urn, upn, case = await severe_case(client, feed)

    async def listed() -> bool:
        response = await client.get(
            "/v1/cases", params={"missing_joint_plan": "true", "upn": upn}, headers=la_officer()
        )
        assert response.status_code == 200, response.text
        return case["id"] in {c["id"] for c in response.json()["cases"]}

    assert await listed()
    await new_plan(client, case["id"], staff(urn), kind="attendance_support")
    assert await listed()  # a school's own plan is not the joint plan severe absence needs
    joint = await new_plan(client, case["id"], la_officer())
    assert not await listed()
    await client.post(
        f"/v1/cases/{case['id']}/plans/{joint['id']}/end", json={"outcome": "other"}, headers=admin()
    )
    assert await listed()


async def test_missing_joint_plan_leaves_out_a_case_whose_severe_alert_cleared(client, feed):
    urn, upn = new_urn(), new_upn()
    await feed.pupil(urn, upn, email=new_email())
    severe = await feed.alert(urn, upn, "severe_absence")
    await feed.clear(severe)

    response = await client.get(
        "/v1/cases", params={"missing_joint_plan": "true", "upn": upn}, headers=admin()
    )

    assert response.json()["cases"] == []


async def test_a_case_closed_when_its_family_joins_another_ends_its_active_plans(client, feed):
    shared, urn, (ada, byron) = new_email(), new_urn(), (new_upn(), new_upn())
    await feed.pupil(urn, ada, email=shared)
    await feed.pupil(urn, byron, email=new_email())
    await feed.alert(urn, ada, "persistent_absence")
    await feed.alert(urn, byron, "persistent_absence")
    old = await only_case(client, byron)
    plan = await new_plan(client, old["id"], staff(urn), kind="attendance_support")

    await feed.pupil(urn, byron, email=shared)  # byron's family is now ada's, which has its case

    closed = (await client.get(f"/v1/cases/{old['id']}", headers=admin())).json()
    assert closed["status"] == "closed"
    assert [(p["id"], p["status"], p["ended_by"]) for p in closed["plans"]] == [
        (plan["id"], "ended", "system")
    ]
    events = [row.event_type for row in await feed.outbox(old["id"])]
    assert events[-2:] == ["attendance.plan.ended", "attendance.case.closed"]
