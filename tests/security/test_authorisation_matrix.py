"""Every endpoint of every service x every role of api.md and four bad tokens: the expected status class."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from security_routes import EXPECTED, PUBLIC, RECIPES, expected
from security_world import ADMIN, CALLERS, LA, ROLES, headers_at, headers_of, new_urn

pytestmark = pytest.mark.integration

CASES = [
    (service, route, caller) for service, routes in EXPECTED.items() for route in routes for caller in CALLERS
]


def routes_of(app: FastAPI) -> set[str]:
    """`METHOD /path` of every API route, however deeply its router is included."""
    found: set[str] = set()

    def walk(routes: list) -> None:
        for route in routes:
            if isinstance(route, APIRoute) or (hasattr(route, "methods") and hasattr(route, "endpoint")):
                if route.path in ("/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"):
                    continue
                found.update(f"{method} {route.path}" for method in route.methods if method != "HEAD")
            elif hasattr(route, "effective_route_contexts"):
                walk(route.effective_route_contexts())

    walk(app.routes)
    return found


@pytest.mark.parametrize("service", EXPECTED)
async def test_every_route_has_a_decision(stack, service):
    served = routes_of(stack.apps[service]) - PUBLIC
    assert served == set(EXPECTED[service]), "every endpoint needs a row in security_routes.EXPECTED"
    assert set(RECIPES[service]) == set(EXPECTED[service])


@pytest.mark.parametrize(("service", "route", "caller"), CASES, ids=[" ".join(case) for case in CASES])
async def test_authorisation_matrix(stack, service, route, caller):
    method, path, body = await RECIPES[service][route](stack)
    answer = await stack.clients[service].request(method, path, json=body, headers=headers_of(caller))

    want = expected(service, route, caller)
    if want == "ok":
        assert answer.is_success, f"{caller} {method} {path}: {answer.status_code} {answer.text}"
        return
    allowed = {401} if want == "401" else {403, 404}
    assert answer.status_code in allowed, f"{caller} {method} {path}: {answer.status_code} {answer.text}"
    assert answer.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("change", ["register", "move_to_another_la", "move_to_another_trust", "leave_trust"])
@pytest.mark.parametrize("caller", CALLERS)
async def test_registering_or_moving_a_school_is_for_admins(stack, caller, change):
    """api.md "Authorisation clarified": not even the MIS of the school (its token names the URN)."""
    registers, urn = stack.clients["registers"], new_urn()
    school: dict[str, Any] = {"name": "Fresh Primary", "la_code": LA, "phase": "primary"}
    if change != "register":
        school["trust"] = {"id": "T123", "name": "Matrix Trust"}
        assert (await registers.put(f"/v1/schools/{urn}", json=school, headers=ADMIN)).status_code == 201
    if change == "move_to_another_la":
        school["la_code"] = "381"
    elif change == "move_to_another_trust":
        school["trust"] = {"id": "T999", "name": "Another Trust"}
    elif change == "leave_trust":
        school["trust"] = None
    answer = await registers.put(f"/v1/schools/{urn}", json=school, headers=headers_at(caller, urn))

    if caller == "admin":
        assert answer.status_code == (201 if change == "register" else 200), answer.text
        return
    assert answer.status_code == (401 if caller not in ROLES else 403), answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    if caller == "mis":
        assert answer.json()["code"] == "admin_only"


async def test_a_school_mis_updates_name_phase_and_attendance_lead_but_keeps_the_trust(stack):
    """An MIS that sends no `trust` (it may not know of trusts) leaves the school's trust as it is."""
    registers, urn = stack.clients["registers"], new_urn()
    school: dict[str, Any] = {
        "name": "Fresh Primary",
        "la_code": LA,
        "trust": {"id": "T123", "name": "Matrix Trust"},
    }
    assert (await registers.put(f"/v1/schools/{urn}", json=school, headers=ADMIN)).status_code == 201
    lead = {"name": "Grace Hopper", "email": "g.hopper@fresh.sch.uk"}
    update = {"name": "Fresh Primary Academy", "la_code": LA, "phase": "primary", "attendance_lead": lead}

    answer = await registers.put(f"/v1/schools/{urn}", json=update, headers=headers_at("mis", urn))

    assert answer.status_code == 200, answer.text
    assert answer.json() == {**update, "urn": urn, "trust": school["trust"]}
