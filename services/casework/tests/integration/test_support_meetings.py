"""Targeting support meetings (api.md Part 2): the pack for a school, recording a meeting whose
agreed items become case actions, and listing meetings, over real HTTP on PostgreSQL and SQLite."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from casework_support import admin, auth, la_officer, new_email, new_upn, new_urn, only_case, staff

from attendance_common.clock import today_in_london
from attendance_common.events.registers import SchoolUpserted

pytestmark = pytest.mark.integration
PROBLEM = "application/problem+json"


async def school(feed, la_code: str = "380") -> str:
    urn = new_urn()
    await feed.send(SchoolUpserted(urn=urn, name="Hill Primary", la_code=la_code, phase="primary"))
    return urn


async def pupil_with(feed, urn: str, *kinds: str) -> str:
    upn = new_upn()
    await feed.pupil(urn, upn, email=new_email())
    for kind in kinds:
        await feed.alert(urn, upn, kind)
    return upn


def pack_path(urn: str, la_code: str = "380") -> str:
    return f"/v1/las/{la_code}/support-meetings/pack?school={urn}"


def meeting(urn: str, *agreed: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {
        "school_urn": urn,
        "held_on": today_in_london().isoformat(),
        "attendees": [
            {"name": "Sam Patel", "role": "Attendance officer", "organisation": "LA 380"},
            {"name": "Grace Hopper", "role": "Attendance lead", "organisation": "Hill Primary"},
        ],
        "notes": "Autumn term review",
        "agreed": list(agreed),
        **changes,
    }


def item(case_id: str, action: str = "Home visit with the family", **changes: Any) -> dict[str, Any]:
    due = (today_in_london() + dt.timedelta(days=14)).isoformat()
    return {"case_id": case_id, "action": action, "owner": "Sam Patel", "due_on": due, **changes}


async def test_the_pack_lists_severe_then_persistent_pupils_with_their_alerts_case_and_plans(client, feed):
    urn = await school(feed)
    persistent = await pupil_with(feed, urn, "persistent_absence")
    severe = await pupil_with(feed, urn, "persistent_absence", "severe_absence", "first_day_absence")
    await pupil_with(feed, urn, "first_day_absence")  # not persistently absent: not in the pack
    cleared_upn = new_upn()
    await feed.pupil(urn, cleared_upn, email=new_email())
    await feed.clear(await feed.alert(urn, cleared_upn, "severe_absence"))
    await pupil_with(feed, await school(feed), "severe_absence")  # another school
    case = await only_case(client, severe)
    plan_body = {
        "kind": "joint_school_la",
        "lead": {"name": "Sam Patel", "role": "EWO"},
        "review_on": "2099-01-01",
    }
    plan = (await client.post(f"/v1/cases/{case['id']}/plans", json=plan_body, headers=admin())).json()

    response = await client.get(pack_path(urn), headers=la_officer())

    assert response.status_code == 200, response.text
    pack = response.json()
    assert pack["school_urn"] == urn and pack["generated_at"]
    assert [p["upn"] for p in pack["pupils"]] == [severe, persistent]
    first, second = pack["pupils"]
    assert first["alerts"] == ["first_day_absence", "persistent_absence", "severe_absence"]
    assert first["case"] == {
        "id": case["id"],
        "stage": "facilitate_support",
        "plans": [{"id": plan["id"], "kind": "joint_school_la", "review_on": "2099-01-01"}],
    }
    assert second["alerts"] == ["persistent_absence"]
    assert (second["case"]["stage"], second["case"]["plans"]) == ("listen_and_understand", [])


async def test_a_pack_for_a_school_outside_the_la_is_422_school_not_in_la(client, feed):
    urn = await school(feed, la_code="381")
    await pupil_with(feed, urn, "severe_absence")
    response = await client.get(pack_path(urn), headers=la_officer("380"))
    assert (response.status_code, response.json()["code"]) == (422, "school_not_in_la")
    assert response.headers["content-type"].startswith(PROBLEM)


async def test_an_la_officer_acts_only_for_its_own_la_and_staff_only_for_their_school(client, feed):
    urn = await school(feed)
    other_la = await client.get(pack_path(urn), headers=la_officer("381"))
    assert (other_la.status_code, other_la.json()["code"]) == (403, "forbidden_la")
    other_school = await client.get(pack_path(urn), headers=staff(new_urn()))
    assert (other_school.status_code, other_school.json()["code"]) == (403, "forbidden_school")
    assert (await client.get(pack_path(urn), headers=staff(urn))).status_code == 200
    governor = await client.get(pack_path(urn), headers=auth("governor", schools=[urn]))
    assert governor.status_code == 403
    recorded = await client.post("/v1/las/380/support-meetings", json=meeting(urn), headers=staff(new_urn()))
    assert recorded.status_code == 403


async def test_a_meeting_records_its_agreed_items_as_actions_on_their_cases_and_publishes_it(client, feed):
    urn = await school(feed)
    upn = await pupil_with(feed, urn, "severe_absence")
    case = await only_case(client, upn)
    agreed = item(case["id"])

    response = await client.post(
        "/v1/las/380/support-meetings", json=meeting(urn, agreed), headers=staff(urn)
    )

    assert response.status_code == 201, response.text
    held = response.json()
    assert (held["la_code"], held["school_urn"], held["notes"]) == ("380", urn, "Autumn term review")
    (recorded,) = held["agreed"]
    actions = (await client.get(f"/v1/cases/{case['id']}", headers=admin())).json()["actions"]
    (action,) = [a for a in actions if a["id"] == recorded["action_id"]]
    assert (action["type"], action["due_on"]) == ("other", agreed["due_on"])
    assert "Home visit with the family" in action["notes"] and "Sam Patel" in action["notes"]
    (event,) = await feed.outbox(held["id"])
    assert event.event_type == "attendance.support_meeting.held" and event.key == urn
    data = json.loads(event.data)
    assert data["agreed"] == [{"case_id": case["id"], "action_id": action["id"], "due_on": agreed["due_on"]}]
    assert "Autumn term" not in event.data and "Home visit" not in event.data


@pytest.mark.parametrize("bad", ["another_school", "unknown", "future", "closed"])
async def test_a_bad_meeting_is_refused_with_a_stable_code_and_stores_nothing(client, feed, bad):
    urn = await school(feed)
    case = await only_case(client, await pupil_with(feed, urn, "severe_absence"))
    body = meeting(urn, item(case["id"]))
    if bad == "another_school":
        elsewhere = await only_case(client, await pupil_with(feed, await school(feed), "severe_absence"))
        body["agreed"].append(item(elsewhere["id"]))
        want = (422, "case_not_at_school")
    elif bad == "unknown":
        body["agreed"].append(item("0b9e2a64-1f7c-4d7e-8d0a-6a9a1f3c2b10"))
        want = (422, "case_not_at_school")
    elif bad == "future":
        body["held_on"] = (today_in_london() + dt.timedelta(days=1)).isoformat()
        want = (422, "future_date")
    else:
        closed = await only_case(client, await pupil_with(feed, urn, "severe_absence"))
        await client.post(f"/v1/cases/{closed['id']}/close", json={"outcome": "other"}, headers=admin())
        body["agreed"].append(item(closed["id"]))
        want = (409, "case_closed")

    response = await client.post("/v1/las/380/support-meetings", json=body, headers=la_officer())

    assert (response.status_code, response.json()["code"]) == want, response.text
    listed = await client.get(f"/v1/las/380/support-meetings?school={urn}", headers=admin())
    assert listed.json()["support_meetings"] == []
    assert (await client.get(f"/v1/cases/{case['id']}", headers=admin())).json()["actions"] == []


async def test_meetings_are_listed_latest_first_and_staff_see_only_their_schools(client, feed):
    here, there = await school(feed), await school(feed)
    for urn in (here, there, here):
        answer = await client.post("/v1/las/380/support-meetings", json=meeting(urn), headers=la_officer())
        assert answer.status_code == 201, answer.text

    mine = await client.get("/v1/las/380/support-meetings", headers=staff(here))
    by_officer = await client.get(f"/v1/las/380/support-meetings?school={here}&limit=1", headers=la_officer())

    assert mine.status_code == 200, mine.text
    assert {m["school_urn"] for m in mine.json()["support_meetings"]} == {here}
    assert len(mine.json()["support_meetings"]) == 2
    first_page = by_officer.json()
    assert len(first_page["support_meetings"]) == 1 and first_page["next"]
    second = await client.get(
        f"/v1/las/380/support-meetings?school={here}&after={first_page['next']}", headers=la_officer()
    )
    assert [m["id"] for m in second.json()["support_meetings"]] != [
        m["id"] for m in first_page["support_meetings"]
    ]
    assert len(second.json()["support_meetings"]) == 1


async def test_listing_the_meetings_of_a_school_outside_the_la_is_422(client, feed):
    urn = await school(feed, la_code="381")
    response = await client.get(f"/v1/las/380/support-meetings?school={urn}", headers=admin())
    assert (response.status_code, response.json()["code"]) == (422, "school_not_in_la")
