"""Families report absences (api.md "Families report absences"): submit, list, decide, withdraw."""

from __future__ import annotations

import uuid

import pytest
from registers_factories import auth
from registers_requests_support import another_child, day, outbox, parent, staff

pytestmark = pytest.mark.integration


def reports_url(school, upn: str | None = None) -> str:
    if upn is None:
        return f"/v1/schools/{school.urn}/absence-reports"
    return f"/v1/schools/{school.urn}/pupils/{upn}/absence-reports"


async def submit(client, school, body=None, headers=None, upn=None):
    body = {"first_date": day(0), "reason": "illness", "note": "Temperature"} if body is None else body
    return await client.post(reports_url(school, upn or school.upn), json=body, headers=headers or parent())


async def school_list(client, school, **params) -> list[dict]:
    answer = await client.get(reports_url(school), params=params, headers=staff(school))
    assert answer.status_code == 200, answer.text
    return answer.json()["absence_reports"]


async def test_a_parent_reports_an_illness_and_the_school_sees_it_with_the_defaults(client, school):
    answer = await submit(client, school)

    assert answer.status_code == 201, answer.text
    report = answer.json()
    assert {k: v for k, v in report.items() if k not in ("id", "submitted_at")} == {
        "school_urn": school.urn,
        "upn": school.upn,
        "first_date": day(0),
        "first_session": "AM",
        "last_date": day(0),
        "last_session": "PM",
        "reason": "illness",
        "note": "Temperature",
        "expected_return": None,
        "status": "submitted",
        "submitted_by": {"sub": "parent-pat", "role": "parent", "name": "Pat Parent"},
        "decision": None,
        "withdrawal": None,
    }
    assert [r["id"] for r in await school_list(client, school)] == [report["id"]]
    mine = await client.get(reports_url(school, school.upn), headers=parent())
    assert [r["id"] for r in mine.json()["absence_reports"]] == [report["id"]]


async def test_the_office_takes_a_report_over_the_phone_for_a_span_of_sessions(client, school):
    body = {
        "first_date": day(-1),
        "first_session": "PM",
        "last_date": day(2),
        "last_session": "AM",
        "reason": "family_emergency",
        "expected_return": day(3),
    }
    answer = await submit(client, school, body, headers=staff(school))

    assert answer.status_code == 201, answer.text
    report = answer.json()
    assert (report["first_session"], report["last_date"], report["last_session"]) == ("PM", day(2), "AM")
    assert report["submitted_by"] == {"sub": "staff-sam", "role": "school_staff", "name": "Sam Office"}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"first_date": day(1), "last_date": day(0)}, "bad_range"),
        ({"first_date": day(0), "first_session": "PM", "last_session": "AM"}, "bad_range"),
        ({"first_date": day(-15)}, "report_too_old"),
        ({"first_date": day(61)}, "report_too_far_ahead"),
        ({"first_date": day(0), "last_date": day(29)}, "report_too_long"),
        ({"first_date": "9999-12-31"}, "report_too_far_ahead"),
        ({"first_date": "0001-01-01", "last_date": "9999-12-31"}, "report_too_old"),
    ],
)
async def test_a_span_outside_the_rules_is_refused_with_its_code_and_nothing_is_stored(
    app, client, school, body, code
):
    answer = await submit(client, school, {**body, "reason": "illness"})

    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == code
    assert await school_list(client, school) == []
    assert await outbox(app, school.upn, "attendance.absence_report") == []


@pytest.mark.parametrize(
    "body", [{"first_date": day(-14)}, {"first_date": day(60)}, {"first_date": day(0), "last_date": day(28)}]
)
async def test_the_limits_themselves_are_allowed(client, school, body):
    assert (await submit(client, school, {**body, "reason": "other"})).status_code == 201


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b'{"first_date": "2026-12-03", "reason": "illness"', "malformed JSON"),
        (b'{"first_date": "2026-12-03", "reason": "holiday"}', "unknown reason"),
        (b'{"first_date": "2026-02-30", "reason": "illness"}', "no such date"),
        (b'{"reason": "illness"}', "no first date"),
        (b'{"first_date": "2026-12-03", "first_session": "EVE", "reason": "illness"}', "bad session"),
        (b'["not", "an", "object"]', "not an object"),
    ],
)
async def test_bad_input_is_a_problem_with_a_stable_code_and_nothing_is_stored(client, school, content, why):
    headers = {**parent(), "Content-Type": "application/json"}
    answer = await client.post(reports_url(school, school.upn), content=content, headers=headers)

    assert answer.status_code == 422, why
    assert answer.json()["code"] == "validation_error", why
    assert await school_list(client, school) == []


async def test_a_note_over_1000_characters_is_refused_and_1000_is_kept_whole(client, school):
    too_long = await submit(client, school, {"first_date": day(0), "reason": "illness", "note": "x" * 1001})
    assert (too_long.status_code, too_long.json()["code"]) == (422, "validation_error")
    assert await school_list(client, school) == []

    kept = await submit(client, school, {"first_date": day(0), "reason": "illness", "note": "y" * 1000})
    assert kept.json()["note"] == "y" * 1000


async def test_a_parent_of_another_child_is_told_there_is_no_such_pupil(client, school):
    stranger = parent(sub="someone-else", email="someone.else@example.com")
    answer = await submit(client, school, headers=stranger)

    assert (answer.status_code, answer.json()["code"]) == (404, "unknown_pupil")
    listed = await client.get(reports_url(school, school.upn), headers=stranger)
    assert listed.status_code == 404
    assert await school_list(client, school) == []


async def test_staff_of_another_school_and_the_la_may_not_submit(client, school):
    other_staff = auth("school_staff", schools=["999999"])
    officer = auth("la_officer", la=school.la_code)
    assert (await submit(client, school, headers=other_staff)).status_code == 403
    assert (await submit(client, school, headers=officer)).status_code == 403
    assert await school_list(client, school) == []


async def test_a_retried_submit_with_the_same_idempotency_key_stores_one_report(client, school):
    headers = {**parent(), "Idempotency-Key": str(uuid.uuid4())}
    first = await submit(client, school, headers=headers)
    again = await submit(client, school, headers=headers)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    replayed = [answer.headers.get("Idempotent-Replayed") for answer in (first, again)]
    assert replayed == [None, "true"]
    assert len(await school_list(client, school)) == 1
    reused = await submit(client, school, {"first_date": day(1), "reason": "illness"}, headers=headers)
    assert (reused.status_code, reused.json()["code"]) == (422, "idempotency_key_reused")
    assert len(await school_list(client, school)) == 1


async def test_the_school_accepts_a_report_once_and_the_decision_says_who_and_when(client, school):
    report = (await submit(client, school)).json()
    url = f"{reports_url(school)}/{report['id']}/decision"

    decided = await client.post(url, json={"decision": "accepted"}, headers=staff(school))

    assert decided.status_code == 200, decided.text
    body = decided.json()
    assert body["status"] == "accepted"
    assert {k: v for k, v in body["decision"].items() if k != "at"} == {
        "outcome": "accepted",
        "note": None,
        "by": {"sub": "staff-sam", "role": "school_staff", "name": "Sam Office"},
    }
    twice = await client.post(url, json={"decision": "declined", "note": "no"}, headers=staff(school))
    assert (twice.status_code, twice.json()["code"]) == (409, "already_decided")
    (listed,) = await school_list(client, school)
    assert listed["status"] == "accepted" and listed["decision"]["outcome"] == "accepted"


async def test_declining_needs_a_note_and_the_mis_may_decide_too(client, school):
    report = (await submit(client, school)).json()
    url = f"{reports_url(school)}/{report['id']}/decision"

    bare = await client.post(url, json={"decision": "declined"}, headers=school.mis)
    assert (bare.status_code, bare.json()["code"]) == (422, "note_required")
    blank = await client.post(url, json={"decision": "declined", "note": "  "}, headers=school.mis)
    assert (blank.status_code, blank.json()["code"]) == (422, "note_required")
    unknown = await client.post(url, json={"decision": "maybe"}, headers=school.mis)
    assert (unknown.status_code, unknown.json()["code"]) == (422, "validation_error")
    assert (await school_list(client, school))[0]["status"] == "submitted"

    note = "We saw Ada at the park: please come and talk to us."
    declined = await client.post(url, json={"decision": "declined", "note": note}, headers=school.mis)
    assert declined.status_code == 200, declined.text
    assert declined.json()["decision"]["note"] == note
    assert declined.json()["decision"]["by"]["role"] == "mis"


async def test_parents_la_officers_and_other_schools_may_not_decide(client, school):
    report = (await submit(client, school)).json()
    url = f"{reports_url(school)}/{report['id']}/decision"
    for headers in (
        parent(),
        auth("la_officer", la=school.la_code),
        auth("school_staff", schools=["999999"]),
    ):
        answer = await client.post(url, json={"decision": "accepted"}, headers=headers)
        assert answer.status_code == 403, answer.text
    missing = await client.post(
        f"{reports_url(school)}/{uuid.uuid4()}/decision", json={"decision": "accepted"}, headers=staff(school)
    )
    assert (missing.status_code, missing.json()["code"]) == (404, "unknown_absence_report")


async def test_the_parent_who_reported_withdraws_it_while_it_waits(client, school):
    report = (await submit(client, school)).json()
    url = f"{reports_url(school)}/{report['id']}/withdraw"

    other_parent = await client.post(url, headers=parent(sub="parent-chris"))
    assert (other_parent.status_code, other_parent.json()["code"]) == (403, "not_submitter")
    stranger = await client.post(url, headers=parent(sub="x", email="someone.else@example.com"))
    assert (stranger.status_code, stranger.json()["code"]) == (404, "unknown_absence_report")

    withdrawn = await client.post(url, headers=parent())
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["status"] == "withdrawn"
    assert withdrawn.json()["withdrawal"]["by"]["sub"] == "parent-pat"
    again = await client.post(url, headers=parent())
    assert (again.status_code, again.json()["code"]) == (409, "already_withdrawn")
    decide = await client.post(
        f"{reports_url(school)}/{report['id']}/decision", json={"decision": "accepted"}, headers=staff(school)
    )
    assert (decide.status_code, decide.json()["code"]) == (409, "already_withdrawn")


async def test_a_decided_report_cannot_be_withdrawn(client, school):
    report = (await submit(client, school)).json()
    decision = f"{reports_url(school)}/{report['id']}/decision"
    await client.post(decision, json={"decision": "accepted"}, headers=staff(school))

    for headers in (parent(), staff(school)):
        answer = await client.post(f"{reports_url(school)}/{report['id']}/withdraw", headers=headers)
        assert (answer.status_code, answer.json()["code"]) == (409, "already_decided")
    assert (await school_list(client, school))[0]["status"] == "accepted"


async def test_the_school_withdraws_a_report_the_office_took_in_error(client, school):
    report = (await submit(client, school, headers=staff(school))).json()
    answer = await client.post(
        f"{reports_url(school)}/{report['id']}/withdraw", headers=staff(school, "staff-2")
    )
    assert answer.json()["status"] == "withdrawn"


async def test_lists_are_newest_first_filtered_and_paged(client, school):
    sibling = await another_child(client, school, email="parent@example.com")
    first = (
        await submit(client, school, {"first_date": day(-10), "last_date": day(-9), "reason": "illness"})
    ).json()
    second = (
        await submit(client, school, {"first_date": day(-3), "reason": "bereavement"}, upn=sibling)
    ).json()
    third = (await submit(client, school, {"first_date": day(5), "reason": "medical_appointment"})).json()
    await client.post(
        f"{reports_url(school)}/{second['id']}/decision", json={"decision": "accepted"}, headers=staff(school)
    )

    assert [r["id"] for r in await school_list(client, school)] == [third["id"], second["id"], first["id"]]
    assert [r["id"] for r in await school_list(client, school, status="accepted")] == [second["id"]]
    assert [r["id"] for r in await school_list(client, school, upn=sibling.lower())] == [second["id"]]
    overlap = await school_list(client, school, **{"from": day(-9), "to": day(-3)})
    assert [r["id"] for r in overlap] == [second["id"], first["id"]]
    assert await school_list(client, school, **{"from": day(6)}) == []

    seen, after = [], None
    while True:
        params = {"limit": 1, **({"after": after} if after else {})}
        page = (await client.get(reports_url(school), params=params, headers=staff(school))).json()
        seen += [r["id"] for r in page["absence_reports"]]
        after = page["next"]
        if after is None:
            break
    assert seen == [third["id"], second["id"], first["id"]]
    bad = await client.get(reports_url(school), params={"after": "nonsense"}, headers=staff(school))
    assert (bad.status_code, bad.json()["code"]) == (400, "bad_cursor")


async def test_the_la_officer_reads_its_schools_queue_but_not_another_las(client, school):
    await submit(client, school)
    mine = await client.get(reports_url(school), headers=auth("la_officer", la=school.la_code))
    assert len(mine.json()["absence_reports"]) == 1
    other = await client.get(reports_url(school), headers=auth("la_officer", la="999"))
    assert other.status_code == 403
    for headers in (parent(), auth("social_worker", email="sw@example.com")):
        assert (await client.get(reports_url(school), headers=headers)).status_code == 403


async def test_each_change_is_an_event_on_attendance_requests_without_the_familys_note(app, client, school):
    report = (
        await submit(client, school, {"first_date": day(0), "reason": "illness", "note": "Chickenpox"})
    ).json()
    await client.post(
        f"{reports_url(school)}/{report['id']}/decision",
        json={"decision": "declined", "note": "Seen at the fair"},
        headers=staff(school),
    )

    events = await outbox(app, school.upn, "attendance.absence_report")

    assert [(topic, kind) for topic, kind, _ in events] == [
        ("attendance.requests", "attendance.absence_report.submitted"),
        ("attendance.requests", "attendance.absence_report.decided"),
    ]
    submitted, decided = (data for _, _, data in events)
    assert submitted["report_id"] == report["id"] and submitted["reason"] == "illness"
    assert (submitted["first_date"], submitted["first_session"], submitted["last_session"]) == (
        day(0),
        "AM",
        "PM",
    )
    assert submitted["la_code"] == school.la_code and submitted["submitted_by_role"] == "parent"
    assert decided["outcome"] == "declined"
    for data in (submitted, decided):
        text = str(data)
        assert "Chickenpox" not in text and "fair" not in text and "note" not in data
