"""An LA officer's reach over settings per scope is the same in alerts (rules) and notifications
(routing), as api.md says: "read and act on every school whose `la_code` matches". So the officer
reads and changes its own `la:` scope and its LA's schools' scopes; another LA's scope or school, a
school neither service has heard of, and `default` are refused (403). Both services decide this in
one place (attendance_common.scopes); this holds them to it from outside.
"""

from __future__ import annotations

import httpx
import pytest
from security_world import new_urn

from attendance_common.auth import DEVELOPMENT_JWT_SECRET, mint_token
from attendance_common.events.registers import SchoolUpserted

pytestmark = pytest.mark.integration
MINE, OTHER = "382", "383"  # LAs of no other security test: what is set here changes nothing there
# Each service's settings, at the values they have anyway.
SETTINGS = {
    "alerts": ("rules", {"illness_days": 15}),
    "notifications": ("routing", {"routes": {"penalty_threshold": {"parents": []}}}),
}
EXPECTED = {
    "PUT la:{mine}": 200,
    "PUT school:{ours}": 200,
    "PUT la:{other}": 403,
    "PUT school:{theirs}": 403,
    "PUT school:{unknown}": 403,
    "PUT default": 403,
    "GET ?school={ours}": 200,
    "GET ?school={theirs}": 403,
    "GET ?school={unknown}": 403,
}


def officer_of(la: str) -> dict[str, str]:
    token = mint_token(secret=DEVELOPMENT_JWT_SECRET, sub=f"reach-{la}", role="la_officer", la=la)
    return {"Authorization": f"Bearer {token}"}


async def reach(stack, service: str) -> tuple[dict[str, int], httpx.Response, httpx.Response]:
    """Each probe's status (2xx as 200) for the officer of MINE, the answer for its school after it
    set both its scopes, and the answer with no school."""
    ours, theirs, unknown = new_urn(), new_urn(), new_urn()
    for urn, la in ((ours, MINE), (theirs, OTHER)):
        await stack.feeds[service].send(
            SchoolUpserted(urn=urn, name="Reach Primary", la_code=la, phase="primary")
        )
    client: httpx.AsyncClient = stack.clients[service]
    kind, body = SETTINGS[service]
    headers = officer_of(MINE)
    places = {"mine": MINE, "other": OTHER, "ours": ours, "theirs": theirs, "unknown": unknown}
    outcomes = {}
    for probe in EXPECTED:
        method, target = probe.split(" ")
        target = target.format(**places)
        if method == "PUT":
            answer = await client.put(f"/v1/{kind}/{target}", json=body, headers=headers)
        else:
            answer = await client.get(f"/v1/{kind}", params={"school": target.split("=")[1]}, headers=headers)
        outcomes[probe] = 200 if answer.status_code in (200, 201) else answer.status_code
    at_school = await client.get(f"/v1/{kind}", params={"school": ours}, headers=headers)
    without_school = await client.get(f"/v1/{kind}", headers=headers)
    return outcomes, at_school, without_school


@pytest.mark.parametrize("service", ["alerts", "notifications"])
async def test_an_la_officer_reaches_its_own_las_scope_and_schools_and_nothing_else(stack, service):
    outcomes, _, _ = await reach(stack, service)
    assert outcomes == EXPECTED


@pytest.mark.parametrize("service", ["alerts", "notifications"])
async def test_a_school_answer_names_the_scopes_that_apply_there_and_no_others(stack, service):
    _, at_school, without_school = await reach(stack, service)
    scopes = set(at_school.json()["scopes"])
    assert {f"la:{MINE}", f"school:{at_school.json()['scope'].removeprefix('school:')}"} <= scopes
    assert not {scope for scope in scopes if scope.startswith("la:") and scope != f"la:{MINE}"}
    # Without a school the officer is shown the default scope only, as everyone but an admin.
    assert set(without_school.json()["scopes"]) <= {"default"}
