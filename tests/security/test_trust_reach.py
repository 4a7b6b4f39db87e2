"""A trust officer reaches the schools its trust holds, in every service, and no others (api.md Part 2
"Roles added"): each service learns a school's trust from `attendance.school.upserted`."""

from __future__ import annotations

import uuid

import pytest
from security_routes import pupil_body
from security_world import ADMIN, LA, URN, new_upn, new_urn, pupil_upserted

from attendance_common.auth import DEVELOPMENT_JWT_SECRET, mint_token
from attendance_common.events.registers import SchoolUpserted, Trust

pytestmark = pytest.mark.integration


def officer_of(trust: str) -> dict[str, str]:
    token = mint_token(secret=DEVELOPMENT_JWT_SECRET, sub=f"trust-{trust}", role="trust_officer", trust=trust)
    return {"Authorization": f"Bearer {token}"}


async def test_an_officer_of_another_trust_sees_none_of_the_worlds_school(stack):
    """The world's school is in trust T123; an officer of T999 lists nothing and opens nothing there."""
    other = officer_of("T999")
    alerts, cases = stack.clients["alerts"], stack.clients["casework"]
    for client, path, key in ((alerts, "/v1/alerts", "alerts"), (cases, "/v1/cases", "cases")):
        everything = await client.get(path, headers=ADMIN)
        assert everything.json()[key], f"the world has {key}"
        assert (await client.get(path, headers=other)).json()[key] == []
        some_id = everything.json()[key][0]["id"]
        assert (await client.get(f"{path}/{some_id}", headers=other)).status_code == 404
    notifications = stack.clients["notifications"]
    assert (await notifications.get("/v1/notifications", headers=other)).json()["notifications"] == []
    settings = (
        (alerts, "/v1/rules", {"persistent_rate": 0.1}),
        (notifications, "/v1/routing", {"routes": {}}),
    )
    for client, path, change in settings:
        answer = await client.get(path, params={"school": URN}, headers=other)
        assert (answer.status_code, answer.json()["code"]) == (403, "forbidden_school")
        answer = await client.put(f"{path}/school:{URN}", json=change, headers=other)
        assert (answer.status_code, answer.json()["code"]) == (403, "forbidden_scope")
    registers = stack.clients["registers"]
    answer = await registers.get(f"/v1/schools/{URN}/attendance", headers=other)
    assert (answer.status_code, answer.json()["code"]) == (403, "forbidden_school")


async def test_a_school_that_leaves_its_trust_leaves_its_officers_reach_in_every_service(stack):
    urn, upn, trust = new_urn(), new_upn(), f"T{uuid.uuid4().hex[:6]}"
    officer = officer_of(trust)
    school = SchoolUpserted(urn=urn, name="Trust Primary", la_code=LA, trust=Trust(id=trust, name="A Trust"))
    registers = stack.clients["registers"]
    body = {"name": "Trust Primary", "la_code": LA, "trust": {"id": trust, "name": "A Trust"}}
    assert (await registers.put(f"/v1/schools/{urn}", json=body, headers=ADMIN)).status_code == 201
    assert (
        await registers.put(f"/v1/schools/{urn}/pupils/{upn}", json=pupil_body(), headers=ADMIN)
    ).is_success
    for feed in stack.feeds.values():
        await feed.send(school)
        await feed.send(
            pupil_upserted(upn, parent_email=f"{uuid.uuid4().hex[:8]}@example.com").model_copy(
                update={"school_urn": urn}
            )
        )
    opened = await stack.clients["casework"].post(
        "/v1/cases",
        json={"pupils": [{"school_urn": urn, "upn": upn}], "stage": "monitor", "reason": "trust"},
        headers=officer,
    )
    assert opened.status_code == 201, opened.text
    reads = [
        (registers, f"/v1/schools/{urn}/attendance", {}),
        (registers, f"/v1/schools/{urn}/pupils/{upn}", {}),
        (stack.clients["alerts"], "/v1/rules", {"school": urn}),
        (stack.clients["notifications"], "/v1/routing", {"school": urn}),
        (stack.clients["casework"], f"/v1/cases/{opened.json()['id']}", {}),
    ]
    for client, path, params in reads:
        assert (await client.get(path, params=params, headers=officer)).status_code == 200, path

    left = {**body, "trust": None}
    assert (await registers.put(f"/v1/schools/{urn}", json=left, headers=ADMIN)).status_code == 200
    for feed in stack.feeds.values():
        await feed.send(school.model_copy(update={"trust": None}))

    for client, path, params in reads:
        assert (await client.get(path, params=params, headers=officer)).status_code in (403, 404), path
