"""The case API (api.md "Casework"): manual open, stages with history, barriers, actions, close, listing."""

from __future__ import annotations

import pytest
from casework_support import admin, members, new_email, new_upn, new_urn, only_case, staff

from casework import service

pytestmark = pytest.mark.integration
PROBLEM = "application/problem+json"


async def opened(client, feed, *, stage: str = "listen_and_understand") -> tuple[str, str, dict]:
    urn, upn = new_urn(), new_upn()
    await feed.pupil(urn, upn, email=new_email())
    body = {"pupils": [{"school_urn": urn, "upn": upn}], "stage": stage, "reason": "teacher concern"}
    response = await client.post("/v1/cases", json=body, headers=staff(urn))
    assert response.status_code == 201, response.text
    return urn, upn, response.json()


async def test_a_manual_open_lists_the_whole_family_and_records_who_opened_it(client, feed):
    email, (school_a, school_b), (ada, byron) = new_email(), (new_urn(), new_urn()), (new_upn(), new_upn())
    await feed.pupil(school_a, ada, email=email)
    await feed.pupil(school_b, byron, email=email)
    body = {"pupils": [{"school_urn": school_a, "upn": ada}], "stage": "monitor", "reason": "late a lot"}
    response = await client.post("/v1/cases", json=body, headers=staff(school_a))
    assert response.status_code == 201
    case = response.json()
    assert members(case) == {(school_a, ada), (school_b, byron)}
    assert [(h["stage"], h["reason"], h["by"], h["by_name"]) for h in case["history"]] == [
        ("monitor", "late a lot", f"staff-{school_a}", "Head of Year")
    ]


async def test_a_manual_open_joins_the_familys_open_case(client, feed):
    urn, upn, case = await opened(client, feed)
    body = {"pupils": [{"school_urn": urn, "upn": upn}], "stage": "monitor", "reason": "again"}
    response = await client.post("/v1/cases", json=body, headers=admin())
    assert response.status_code == 200
    assert (response.json()["id"], response.json()["stage"]) == (case["id"], "listen_and_understand")


async def test_a_manual_open_racing_the_worker_answers_the_case_the_worker_opened(client, feed, monkeypatch):
    """The worker opens the family's case between this request's look-up and its insert: the
    one-open-case index refuses the insert and the request answers that case, not a 500."""
    urn, upn, case = await opened(client, feed)
    look_up = service.cases.open_case_of
    missed: list[str] = []

    async def misses_once(session, family_key):
        if not missed:  # as if the worker's case were committed just after this look-up
            missed.append(family_key)
            return None
        return await look_up(session, family_key)

    monkeypatch.setattr(service.cases, "open_case_of", misses_once)
    body = {"pupils": [{"school_urn": urn, "upn": upn}], "stage": "monitor", "reason": "at the same time"}
    response = await client.post("/v1/cases", json=body, headers=staff(urn))
    assert response.status_code == 200, response.text
    assert (response.json()["id"], response.json()["stage"]) == (case["id"], "listen_and_understand")
    assert missed


async def test_opening_for_an_unknown_pupil_is_422_unknown_pupil(client):
    body = {"pupils": [{"school_urn": new_urn(), "upn": new_upn()}], "stage": "monitor"}
    response = await client.post("/v1/cases", json=body, headers=admin())
    assert (response.status_code, response.json()["code"]) == (422, "unknown_pupil")
    assert response.headers["content-type"].startswith(PROBLEM)


async def test_opening_one_case_for_two_families_is_refused(client, feed):
    urn, ada, byron = new_urn(), new_upn(), new_upn()
    await feed.pupil(urn, ada, email=new_email())
    await feed.pupil(urn, byron, email=new_email())
    pupils = [{"school_urn": urn, "upn": ada}, {"school_urn": urn, "upn": byron}]
    response = await client.post("/v1/cases", json={"pupils": pupils, "stage": "monitor"}, headers=admin())
    assert (response.status_code, response.json()["code"]) == (422, "pupils_in_different_families")


async def test_people_move_a_case_back_and_forth_and_the_history_keeps_who_when_and_why(client, feed):
    urn, _, case = await opened(client, feed)
    for stage, reason in (("enforce", "no engagement"), ("facilitate_support", "family re-engaged")):
        response = await client.post(
            f"/v1/cases/{case['id']}/stage", json={"stage": stage, "reason": reason}, headers=staff(urn)
        )
        assert response.status_code == 200, response.text
    history = response.json()["history"]
    assert [(h["stage"], h["reason"], h["by"]) for h in history[1:]] == [
        ("enforce", "no engagement", f"staff-{urn}"),
        ("facilitate_support", "family re-engaged", f"staff-{urn}"),
    ]
    assert history[0]["at"] <= history[1]["at"] <= history[2]["at"]
    assert response.json()["stage"] == "facilitate_support"


async def test_a_stage_change_needs_a_reason(client, feed):
    _, _, case = await opened(client, feed)
    response = await client.post(f"/v1/cases/{case['id']}/stage", json={"stage": "enforce"}, headers=admin())
    assert (response.status_code, response.json()["code"]) == (422, "validation_error")


async def test_an_unknown_stage_is_422(client, feed):
    _, _, case = await opened(client, feed)
    body = {"stage": "punish", "reason": "x"}
    response = await client.post(f"/v1/cases/{case['id']}/stage", json=body, headers=admin())
    assert response.status_code == 422


async def test_moving_to_the_current_stage_is_409(client, feed):
    _, _, case = await opened(client, feed)
    body = {"stage": "listen_and_understand", "reason": "x"}
    response = await client.post(f"/v1/cases/{case['id']}/stage", json=body, headers=admin())
    assert (response.status_code, response.json()["code"]) == (409, "stage_unchanged")


async def test_barriers_use_the_fixed_vocabulary(client, feed):
    _, _, case = await opened(client, feed)
    url = f"/v1/cases/{case['id']}/barriers"
    ok = await client.post(
        url, json={"category": "young_carer", "description": "cares for mum"}, headers=admin()
    )
    assert ok.status_code == 201
    bad = await client.post(url, json={"category": "laziness", "description": "x"}, headers=admin())
    assert bad.status_code == 422
    shown = (await client.get(f"/v1/cases/{case['id']}", headers=admin())).json()["barriers"]
    assert [(b["category"], b["description"]) for b in shown] == [("young_carer", "cares for mum")]


async def test_actions_have_types_and_due_dates(client, feed):
    _, _, case = await opened(client, feed)
    url = f"/v1/cases/{case['id']}/actions"
    body = {"type": "home_visit", "due_on": "2026-12-01", "notes": "with EWO"}
    created = await client.post(url, json=body, headers=admin())
    assert created.status_code == 201
    assert (await client.post(url, json={**body, "type": "detention"}, headers=admin())).status_code == 422
    assert (
        await client.post(url, json={"type": "meeting", "notes": "x"}, headers=admin())
    ).status_code == 422
    shown = (await client.get(f"/v1/cases/{case['id']}", headers=admin())).json()["actions"]
    assert [(a["type"], a["due_on"], a["notes"]) for a in shown] == [("home_visit", "2026-12-01", "with EWO")]


async def test_closing_records_the_outcome_and_freezes_the_case(client, feed):
    _, _, case = await opened(client, feed)
    url = f"/v1/cases/{case['id']}"
    closed = await client.post(
        f"{url}/close", json={"outcome": "moved_school", "note": "to Leeds"}, headers=admin()
    )
    assert closed.status_code == 200
    assert (closed.json()["status"], closed.json()["outcome"]) == ("closed", "moved_school")
    assert closed.json()["closed_at"] is not None
    again = await client.post(f"{url}/close", json={"outcome": "other"}, headers=admin())
    assert (again.status_code, again.json()["code"]) == (409, "case_closed")
    barrier = await client.post(f"{url}/barriers", json={"category": "housing"}, headers=admin())
    assert (barrier.status_code, barrier.json()["code"]) == (409, "case_closed")
    assert [row.event_type for row in await feed.outbox(case["id"])][-1] == "attendance.case.closed"


async def test_an_unknown_outcome_is_422(client, feed):
    _, _, case = await opened(client, feed)
    response = await client.post(
        f"/v1/cases/{case['id']}/close", json={"outcome": "gave_up"}, headers=admin()
    )
    assert response.status_code == 422


async def test_list_filters_by_school_status_and_stage(client, feed):
    urn, upn, case = await opened(client, feed, stage="monitor")
    await opened(client, feed, stage="monitor")
    listed = (await client.get("/v1/cases", params={"school": urn}, headers=admin())).json()["cases"]
    assert [c["id"] for c in listed] == [case["id"]]
    by_stage = {"school": urn, "stage": "enforce"}
    assert (await client.get("/v1/cases", params=by_stage, headers=admin())).json()["cases"] == []
    await client.post(f"/v1/cases/{case['id']}/close", json={"outcome": "other"}, headers=admin())
    for status, expected in (("open", []), ("closed", [case["id"]])):
        params = {"upn": upn, "status": status}
        found = (await client.get("/v1/cases", params=params, headers=admin())).json()["cases"]
        assert [c["id"] for c in found] == expected


async def test_list_pages_with_an_opaque_cursor(client, feed):
    urn, ids = new_urn(), []
    for _ in range(3):
        upn = new_upn()
        await feed.pupil(urn, upn, email=new_email())
        await feed.alert(urn, upn, "persistent_absence")
        ids.append((await only_case(client, upn))["id"])
    seen, params = [], {"school": urn, "limit": 2}
    while True:
        page = (await client.get("/v1/cases", params=params, headers=admin())).json()
        seen += [c["id"] for c in page["cases"]]
        if page["next"] is None:
            break
        params["after"] = page["next"]
    assert seen == ids


async def test_a_bad_cursor_is_400_bad_cursor(client):
    response = await client.get("/v1/cases", params={"after": "not-a-cursor"}, headers=admin())
    assert (response.status_code, response.json()["code"]) == (400, "bad_cursor")


async def test_an_unknown_case_is_404_unknown_case(client):
    response = await client.get("/v1/cases/nope", headers=admin())
    assert (response.status_code, response.json()["code"]) == (404, "unknown_case")
