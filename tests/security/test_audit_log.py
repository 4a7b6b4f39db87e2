"""Each service's audit log: who read or changed which pupil's data, when and from where; admins query it."""

from __future__ import annotations

import pytest
from security_routes import PUPIL, pupil_body
from security_world import ADMIN, UPN, URN, headers_of

pytestmark = pytest.mark.integration


async def entries(stack, service: str, **params) -> list[dict]:
    answer = await stack.clients[service].get("/v1/audit", params=params, headers=ADMIN)
    assert answer.status_code == 200, answer.text
    return answer.json()["entries"]


async def test_a_read_of_a_pupils_marks_records_who_what_when_and_from_where(stack):
    headers = {**headers_of("school_staff"), "X-Forwarded-For": "198.51.100.9, 10.0.0.1"}
    assert (await stack.clients["registers"].get(f"{PUPIL}/marks", headers=headers)).status_code == 200

    entry = (await entries(stack, "registers", sub="school_staff-matrix", upn=UPN))[-1]

    assert entry["role"] == "school_staff"
    assert entry["action"] == "read"
    assert entry["resource"] == "/v1/schools/{urn}/pupils/{upn}/marks"
    assert (entry["school_urn"], entry["upn"], entry["status"]) == (URN, UPN, 200)
    assert entry["client_ip"] == "203.0.113.7"
    assert entry["forwarded_for"] == "198.51.100.9, 10.0.0.1"
    assert entry["at"]


async def test_a_change_is_recorded_as_a_change(stack):
    answer = await stack.clients["registers"].put(PUPIL, json=pupil_body(), headers=headers_of("mis"))
    assert answer.status_code == 200

    entry = (await entries(stack, "registers", sub="mis-matrix", action="change"))[-1]

    assert (entry["method"], entry["upn"], entry["role"]) == ("PUT", UPN, "mis")


async def test_a_refused_attempt_is_recorded_and_an_unauthenticated_one_is_not(stack):
    client = stack.clients["registers"]
    assert (await client.get(PUPIL, headers=headers_of("parent"))).status_code == 403
    before = await entries(stack, "registers", limit=1000)
    assert (await client.get(PUPIL)).status_code == 401

    refused = await entries(stack, "registers", sub="parent-matrix", upn=UPN)
    assert refused and refused[-1]["status"] == 403
    # The only entries since are the admin's reads of the log: the 401 left none.
    since = (await entries(stack, "registers", limit=1000))[len(before) :]
    assert {(e["sub"], e["resource"]) for e in since} == {("admin-matrix", "/v1/audit")}


async def test_an_alert_read_by_id_names_its_pupil(stack):
    client = stack.clients["alerts"]
    alert = (await client.get("/v1/alerts", params={"upn": UPN}, headers=ADMIN)).json()["alerts"][0]
    assert (
        await client.get(f"/v1/alerts/{alert['id']}", headers=headers_of("la_officer"))
    ).status_code == 200

    entry = (await entries(stack, "alerts", sub="la_officer-matrix"))[-1]

    assert (entry["resource"], entry["upn"], entry["school_urn"]) == ("/v1/alerts/{alert_id}", UPN, URN)


@pytest.mark.parametrize("service", ["registers", "alerts", "casework", "notifications"])
async def test_the_log_pages_by_cursor_in_order(stack, service):
    for _ in range(3):
        await stack.clients[service].get("/v1/audit", headers=ADMIN)

    first = await stack.clients[service].get("/v1/audit", params={"limit": 2}, headers=ADMIN)
    page = first.json()
    second = await stack.clients[service].get(
        "/v1/audit", params={"limit": 2, "after": page["next"]}, headers=ADMIN
    )

    ids = [e["id"] for e in page["entries"]] + [e["id"] for e in second.json()["entries"]]
    assert len(ids) == 4 and ids == sorted(ids)


async def test_a_cursor_the_service_never_gave_is_a_400_problem(stack):
    answer = await stack.clients["casework"].get(
        "/v1/audit", params={"after": "bm90LWEtY3Vyc29y"}, headers=ADMIN
    )

    assert answer.status_code == 400
    assert answer.json()["code"] == "bad_cursor"
