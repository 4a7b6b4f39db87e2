"""A mark's history says who changed it; a staff member's or MIS's `sub` (an account identifier)
is for those who work with the register: parents and social workers see the role and name only."""

from __future__ import annotations

import pytest
from registers_factories import auth, mark, new_upn, pupil_body

pytestmark = pytest.mark.integration
MONDAY = "2026-11-16"


async def amended_history(client, school, headers) -> list[dict]:
    """The pupil's Monday AM mark recorded as N, then amended to I; its history as `headers` reads it."""
    for code in ("N", "I"):
        body = {"marks": [mark(school.upn, MONDAY, "AM", code, reason="Parent phoned")]}
        response = await client.post(f"/v1/schools/{school.urn}/marks", json=body, headers=school.mis)
        assert response.status_code == 200, response.text
    url = f"/v1/schools/{school.urn}/pupils/{school.upn}/marks/{MONDAY}/AM/history"
    response = await client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["entries"]


async def test_a_parent_sees_who_changed_a_mark_without_their_sub(client, school):
    entries = await amended_history(client, school, auth("parent", email="Parent@Example.com"))
    assert [e["changed_by"] for e in entries] == [{"sub": None, "role": "mis", "name": "Vendor MIS"}] * 2


async def test_a_social_worker_sees_who_changed_a_mark_without_their_sub(client, school):
    school.upn = new_upn()
    body = pupil_body(social_worker_email="sam@la.example")
    response = await client.put(
        f"/v1/schools/{school.urn}/pupils/{school.upn}", json=body, headers=school.mis
    )
    assert response.status_code == 201, response.text
    entries = await amended_history(client, school, auth("social_worker", email="sam@la.example"))
    assert {e["changed_by"]["sub"] for e in entries} == {None}


async def test_school_staff_and_the_la_see_the_sub(client, school):
    entries = await amended_history(client, school, auth("school_staff", schools=[school.urn]))
    assert {e["changed_by"]["sub"] for e in entries} == {f"mis-{school.urn}"}
    url = f"/v1/schools/{school.urn}/pupils/{school.upn}/marks/{MONDAY}/AM/history"
    officer = await client.get(url, headers=auth("la_officer", la=school.la_code))
    assert {e["changed_by"]["sub"] for e in officer.json()["entries"]} == {f"mis-{school.urn}"}
