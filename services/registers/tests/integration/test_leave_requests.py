"""Families ask for leave (api.md "Families ask for leave"; regulation 11), and marks inside granted
leave with another code come back as warnings."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from registers_factories import auth, mark
from registers_requests_support import day, outbox, parent, staff
from sqlalchemy import update

from registers.models import LeaveRequest

pytestmark = pytest.mark.integration


def leave_url(school, upn: str | None = None) -> str:
    if upn is None:
        return f"/v1/schools/{school.urn}/leave-requests"
    return f"/v1/schools/{school.urn}/pupils/{upn}/leave-requests"


async def ask(client, school, body=None, headers=None):
    body = body or {
        "first_date": day(7),
        "last_date": day(8),
        "category": "interview",
        "reason": "Sixth form",
    }
    return await client.post(leave_url(school, school.upn), json=body, headers=headers or parent())


async def listed(client, school, **params) -> list[dict]:
    answer = await client.get(leave_url(school), params=params, headers=staff(school))
    assert answer.status_code == 200, answer.text
    return answer.json()["leave_requests"]


async def decide(client, school, leave_id: str, headers=None, **body):
    url = f"{leave_url(school)}/{leave_id}/decision"
    return await client.post(url, json=body, headers=headers or staff(school))


@pytest.mark.parametrize(
    ("category", "code"),
    [
        ("exceptional_circumstances", "C"),
        ("performance_or_employment_abroad", "C1"),
        ("interview", "J1"),
        ("study_leave", "S"),
    ],
)
async def test_a_parent_asks_in_advance_and_the_request_names_the_code_it_would_hold(
    client, school, category, code
):
    answer = await ask(client, school, {"first_date": day(1), "category": category})

    assert answer.status_code == 201, answer.text
    leave = answer.json()
    assert (leave["status"], leave["expected_code"], leave["category"]) == ("pending", code, category)
    assert (leave["first_date"], leave["last_date"], leave["reason"]) == (day(1), day(1), None)
    assert leave["submitted_by"] == {"sub": "parent-pat", "role": "parent", "name": "Pat Parent"}
    assert leave["decision"] is None
    assert [r["id"] for r in await listed(client, school)] == [leave["id"]]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"first_date": day(0)}, "leave_not_in_advance"),
        ({"first_date": day(-3), "last_date": day(2)}, "leave_not_in_advance"),
        ({"first_date": day(5), "last_date": day(4)}, "bad_range"),
    ],
)
async def test_leave_is_never_asked_for_after_the_event(client, school, body, code):
    answer = await ask(client, school, {**body, "category": "exceptional_circumstances"})

    assert (answer.status_code, answer.json()["code"]) == (422, code)
    assert await listed(client, school) == []


@pytest.mark.parametrize(
    "body",
    [
        {"first_date": day(3), "category": "holiday"},
        {"first_date": day(3), "category": "interview", "reason": "r" * 1001},
        {"first_date": day(3)},
    ],
)
async def test_an_unknown_category_or_an_overlong_reason_is_refused_and_nothing_stored(client, school, body):
    answer = await ask(client, school, body)

    assert (answer.status_code, answer.json()["code"]) == (422, "validation_error")
    assert await listed(client, school) == []


async def test_a_retried_request_with_the_same_idempotency_key_is_stored_once(client, school):
    headers = {**parent(), "Idempotency-Key": str(uuid.uuid4())}
    first, again = await ask(client, school, headers=headers), await ask(client, school, headers=headers)

    assert again.json() == first.json()
    assert len(await listed(client, school)) == 1


async def test_school_staff_grant_leave_once_and_refusing_needs_a_note(client, school):
    leave = (await ask(client, school)).json()

    refused_bare = await decide(client, school, leave["id"], decision="refused")
    assert (refused_bare.status_code, refused_bare.json()["code"]) == (422, "note_required")
    granted = await decide(client, school, leave["id"], decision="granted", note="Good luck!")
    assert granted.status_code == 200, granted.text
    assert granted.json()["status"] == "granted"
    assert {k: v for k, v in granted.json()["decision"].items() if k != "at"} == {
        "outcome": "granted",
        "note": "Good luck!",
        "by": {"sub": "staff-sam", "role": "school_staff", "name": "Sam Office"},
    }
    twice = await decide(client, school, leave["id"], decision="refused", note="changed our minds")
    assert (twice.status_code, twice.json()["code"]) == (409, "already_decided")
    withdraw = await client.post(f"{leave_url(school)}/{leave['id']}/withdraw", headers=parent())
    assert (withdraw.status_code, withdraw.json()["code"]) == (409, "already_decided")


async def test_only_the_schools_staff_decide_leave_not_its_mis_nor_parents(client, school):
    leave = (await ask(client, school)).json()
    for headers in (school.mis, parent(), auth("la_officer", la=school.la_code)):
        answer = await decide(client, school, leave["id"], headers=headers, decision="granted")
        assert answer.status_code == 403, answer.text
    assert (await listed(client, school))[0]["status"] == "pending"


async def test_a_pending_request_is_withdrawn_by_the_parent_who_asked(client, school):
    leave = (await ask(client, school)).json()
    url = f"{leave_url(school)}/{leave['id']}/withdraw"

    assert (await client.post(url, headers=parent(sub="parent-chris"))).status_code == 403
    answer = await client.post(url, headers=parent())
    assert answer.json()["status"] == "withdrawn"
    assert [r["status"] for r in await listed(client, school, status="withdrawn")] == ["withdrawn"]


async def test_parents_read_their_own_childs_leave_requests_only(client, school):
    await ask(client, school)
    mine = await client.get(leave_url(school, school.upn), headers=parent())
    assert len(mine.json()["leave_requests"]) == 1
    stranger = parent(sub="x", email="someone.else@example.com")
    assert (await client.get(leave_url(school, school.upn), headers=stranger)).status_code == 404
    assert (await client.get(leave_url(school), headers=parent())).status_code == 403


async def test_leave_events_carry_the_category_and_code_but_not_the_familys_reason(app, client, school):
    leave = (await ask(client, school)).json()
    await decide(client, school, leave["id"], decision="granted")

    events = await outbox(app, school.upn, "attendance.leave_request")

    assert [(topic, kind) for topic, kind, _ in events] == [
        ("attendance.requests", "attendance.leave_request.submitted"),
        ("attendance.requests", "attendance.leave_request.decided"),
    ]
    for _, _, data in events:
        assert (data["request_id"], data["category"], data["expected_code"]) == (
            leave["id"],
            "interview",
            "J1",
        )
        assert "Sixth form" not in str(data) and "reason" not in data
    assert events[1][2]["outcome"] == "granted"


async def granted_until_today(app, client, school, category: str = "interview") -> dict:
    """Leave granted in advance, for tomorrow; then time passes: it now runs yesterday to today."""
    leave = (
        await ask(client, school, {"first_date": day(1), "last_date": day(2), "category": category})
    ).json()
    assert (await decide(client, school, leave["id"], decision="granted")).status_code == 200
    async with app.state.database.transaction() as session:
        await session.execute(
            update(LeaveRequest)
            .where(LeaveRequest.id == leave["id"])
            .values(first_date=dt.date.fromisoformat(day(-1)), last_date=dt.date.fromisoformat(day(0)))
        )
    return leave


async def test_a_g_mark_inside_granted_leave_is_stored_with_a_warning(app, client, school):
    await granted_until_today(app, client, school)
    marks = [
        mark(school.upn, day(-2), "PM", "/"),  # before the leave: no warning
        mark(school.upn, day(-1), "AM", "J1"),  # the expected code: no warning
        mark(school.upn, day(-1), "PM", "G"),
        mark(school.upn, day(0), "AM", "g"),
    ]

    answer = await client.post(f"/v1/schools/{school.urn}/marks", json={"marks": marks}, headers=school.mis)

    body = answer.json()
    assert (body["accepted"], body["rejected"]) == (4, [])
    assert [(w["index"], w["upn"], w["warning_code"]) for w in body["warnings"]] == [
        (2, school.upn, "differs_from_granted_leave"),
        (3, school.upn, "differs_from_granted_leave"),
    ]
    assert "J1" in body["warnings"][0]["message"]
    stored = await client.get(f"/v1/schools/{school.urn}/pupils/{school.upn}/marks", headers=school.mis)
    assert [m["code"] for m in stored.json()["marks"]] == ["/", "J1", "G", "G"]


async def test_marks_outside_granted_leave_or_for_refused_leave_have_no_warnings(app, client, school):
    leave = (await ask(client, school, {"first_date": day(1), "category": "study_leave"})).json()
    await decide(client, school, leave["id"], decision="refused", note="Not an exam day")
    marks = [mark(school.upn, day(0), "AM", "G")]

    answer = await client.post(f"/v1/schools/{school.urn}/marks", json={"marks": marks}, headers=school.mis)

    assert "warnings" not in answer.json()
