"""Every endpoint of every service: how to call it in the seeded world, and who may (api.md "Auth").

`ok` = 2xx, `no` = 403 or 404 (404 where the resource's existence is private). The four bad tokens
(none, expired, another key, `alg: none`) are 401 on every `/v1` endpoint.

The roles of api.md Part 2 follow a rule unless a row says otherwise: a row of six decisions refuses a
governor (who reads aggregates only) and lets a trust officer do what the school's staff may; a row of
eight decides for `governor` and `trust_officer` too. A route missing from EXPECTED fails
test_every_route_has_a_decision, so a new endpoint cannot ship without one.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from security_world import ADMIN, LA, MARKED_ON, ROLES, TRUST, UPN, URN, headers_of, new_upn, pupil_upserted

from attendance_common.clock import today_in_london

Call = tuple[str, str, dict[str, Any] | None]
Recipe = Callable[[Any], Awaitable[Call]]

# Served to anyone, token or not: the index (name and links), probes and metrics (no personal data).
PUBLIC = {"GET /", "GET /healthz", "GET /readyz", "GET /metrics"}

# fmt: off
#                                                                           admin mis staff la  sw  parent
#                                                               (a row of eight adds: governor trust_officer)
EXPECTED: dict[str, dict[str, str]] = {
    "registers": {
        "PUT /v1/schools/{urn}":                                              "ok    ok  no   no  no  no",
        "PUT /v1/schools/{urn}/pupils/{upn}":                                 "ok    ok  no   no  no  no",
        "GET /v1/schools/{urn}/pupils/{upn}":                                 "ok    ok  ok   ok  no  no",
        "POST /v1/schools/{urn}/pupils/{upn}/deletion":                       "ok    ok  no   no  no  no",
        "POST /v1/schools/{urn}/marks":                                       "ok    ok  no   no  no  no",
        "GET /v1/schools/{urn}/pupils/{upn}/marks":                           "ok    ok  ok   ok  ok  ok",
        "GET /v1/schools/{urn}/pupils/{upn}/marks/{date}/{session_name}/history":
                                                                              "ok    ok  ok   ok  ok  ok",
        "GET /v1/schools/{urn}/pupils/{upn}/attendance":                      "ok    ok  ok   ok  ok  ok",
        # Aggregates: a governor reads its schools' summary, groups under 5 pupils suppressed.
        "GET /v1/schools/{urn}/attendance":                                   "ok    ok  ok   ok  no  no  "
                                                                              "ok  ok",
        "GET /v1/schools/{urn}/attendance/pupils":                            "ok    no  ok   ok  no  no",
        "GET /v1/las/{la_code}/attendance/pupils":                            "ok    no  no   ok  no  no",
        # Families' requests (api.md Part 2): a parent for their own child; the school decides
        # (leave: its staff, not its MIS); withdrawn by the parent who asked, or the school.
        "POST /v1/schools/{urn}/pupils/{upn}/absence-reports":                "ok    ok  ok   no  no  ok",
        "GET /v1/schools/{urn}/absence-reports":                              "ok    ok  ok   ok  no  no",
        "GET /v1/schools/{urn}/pupils/{upn}/absence-reports":                 "ok    ok  ok   ok  no  ok",
        "POST /v1/schools/{urn}/absence-reports/{report_id}/decision":        "ok    ok  ok   no  no  no",
        "POST /v1/schools/{urn}/absence-reports/{report_id}/withdraw":        "ok    ok  ok   no  no  ok",
        "POST /v1/schools/{urn}/pupils/{upn}/leave-requests":                 "ok    ok  ok   no  no  ok",
        "GET /v1/schools/{urn}/leave-requests":                               "ok    ok  ok   ok  no  no",
        "GET /v1/schools/{urn}/pupils/{upn}/leave-requests":                  "ok    ok  ok   ok  no  ok",
        "POST /v1/schools/{urn}/leave-requests/{request_id}/decision":        "ok    no  ok   no  no  no",
        "POST /v1/schools/{urn}/leave-requests/{request_id}/withdraw":        "ok    ok  ok   no  no  ok",
        # Reading back the roll: the school's record is not pupil-level, so its governors read it too.
        "GET /v1/schools":                                                    "ok    ok  ok   ok  no  no  "
                                                                              "ok  ok",
        "GET /v1/schools/{urn}":                                              "ok    ok  ok   ok  no  no  "
                                                                              "ok  ok",
        "GET /v1/schools/{urn}/pupils":                                       "ok    ok  ok   ok  no  no",
        # Reports (api.md Part 2): aggregates, so a governor of the school reads them; not its MIS.
        "GET /v1/reports/attendance":                                         "ok    no  ok   ok  no  no  "
                                                                              "ok  ok",
        "GET /v1/reports/attendance.html":                                    "ok    no  ok   ok  no  no  "
                                                                              "ok  ok",
        "GET /v1/reports/attendance.csv":                                     "ok    no  ok   ok  no  no  "
                                                                              "ok  ok",
    },
    "alerts": {
        "GET /v1/alerts":                                                     "ok    no  ok   ok  ok  no",
        "GET /v1/alerts/{alert_id}":                                          "ok    no  ok   ok  ok  no",
        # Social workers read alerts; acting on them is for the school and the LA.
        "POST /v1/alerts/{alert_id}/acknowledge":                             "ok    no  ok   ok  no  no",
        "GET /v1/rules":                                                      "ok    no  ok   ok  ok  no",
        "PUT /v1/rules/{scope}":                                              "ok    no  ok   ok  no  no",
    },
    "casework": {
        "GET /v1/cases":                                                      "ok    no  ok   ok  no  no",
        "POST /v1/cases":                                                     "ok    no  ok   ok  no  no",
        "GET /v1/cases/{case_id}":                                            "ok    no  ok   ok  no  no",
        "POST /v1/cases/{case_id}/stage":                                     "ok    no  ok   ok  no  no",
        "POST /v1/cases/{case_id}/barriers":                                  "ok    no  ok   ok  no  no",
        "POST /v1/cases/{case_id}/actions":                                   "ok    no  ok   ok  no  no",
        "POST /v1/cases/{case_id}/close":                                     "ok    no  ok   ok  no  no",
        "POST /v1/cases/{case_id}/legal-actions":                             "ok    no  ok   ok  no  no",
        "POST /v1/cases/{case_id}/legal-actions/{action_id}/withdraw":        "ok    no  ok   ok  no  no",
        # Plans (api.md Part 2): the family's schools and LAs support the case; a governor never.
        "POST /v1/cases/{case_id}/plans":                                     "ok    no  ok   ok  no  no",
        "POST /v1/cases/{case_id}/plans/{plan_id}/reviews":                   "ok    no  ok   ok  no  no",
        "POST /v1/cases/{case_id}/plans/{plan_id}/end":                       "ok    no  ok   ok  no  no",
        # Targeting support meetings: the LA's officer (its LA only), the school's staff (their
        # school's meetings only; a trust officer its trust's schools), admins; a governor never.
        "GET /v1/las/{la_code}/support-meetings/pack":                        "ok    no  ok   ok  no  no",
        "POST /v1/las/{la_code}/support-meetings":                            "ok    no  ok   ok  no  no",
        "GET /v1/las/{la_code}/support-meetings":                             "ok    no  ok   ok  no  no",
        # The overdue plan-review reminders the worker runs daily, run now: admins alone.
        "POST /v1/jobs/plan-review-reminders":                                "ok    no  no   no  no  no",
    },
    "notifications": {
        "GET /v1/parent/children":                                            "ok    no  no   no  no  ok",
        # The parent app is per parent email: an admin has none, so no child is theirs.
        "GET /v1/parent/children/{upn}/attendance":                           "no    no  no   no  no  ok",
        "GET /v1/parent/messages":                                            "ok    no  no   no  no  ok",
        "GET /v1/parent/plans":                                               "ok    no  no   no  no  ok",
        "GET /v1/notifications":                                              "ok    no  ok   ok  no  no",
        "POST /v1/subscriptions":                                             "ok    no  no   ok  no  no",
        "GET /v1/subscriptions":                                              "ok    no  no   ok  no  no",
        "DELETE /v1/subscriptions/{subscription_id}":                         "ok    no  no   ok  no  no",
        "GET /v1/routing":                                                    "ok    no  ok   ok  no  no",
        "PUT /v1/routing/{scope}":                                            "ok    no  ok   ok  no  no",
        # Keeping parents informed (api.md Part 2): the school's staff (and its trust's officer)
        # send its updates and set its schedule, its LA officer reads the schedule; preferences
        # are a parent's own (an admin, who has no email, reads the default only).
        "POST /v1/schools/{urn}/attendance-updates":                          "ok    no  ok   no  no  no",
        "GET /v1/schools/{urn}/attendance-updates/schedule":                  "ok    no  ok   ok  no  no",
        "PUT /v1/schools/{urn}/attendance-updates/schedule":                  "ok    no  ok   no  no  no",
        "GET /v1/parent/preferences":                                         "ok    no  no   no  no  ok",
        "PUT /v1/parent/preferences":                                         "no    no  no   no  no  ok",
    },
}
# fmt: on
# Each service's audit log: admins only.
for _routes in EXPECTED.values():
    _routes["GET /v1/audit"] = "ok    no  no   no  no  no"  # fmt: skip


def expected(service: str, route: str, caller: str) -> str:
    """`ok`, `no` or `401` for this caller on this route."""
    if caller not in ROLES:
        return "401"
    row = EXPECTED[service][route].split()
    assert len(row) in (6, 8), f"{service} {route}: a row of six or eight decisions"
    decisions = dict(zip(ROLES, row, strict=False))
    decisions.setdefault("governor", "no")
    decisions.setdefault("trust_officer", decisions["school_staff"])
    return decisions[caller]


# How to call each route. A recipe that changes or removes something makes its own fresh target first.
PUPIL = f"/v1/schools/{URN}/pupils/{UPN}"


def pupil_body(parent_email: str = "pat.parent@example.com") -> dict[str, Any]:
    event = pupil_upserted(parent_email=parent_email).model_dump(mode="json")
    keep = ("given_name", "family_name", "year_group", "start_date", "characteristics", "social_worker")
    return {**{k: event[k] for k in keep}, "contacts": event["contacts"]}


MATRIX_TRUST = {"id": TRUST, "name": "Matrix Trust"}
MARKS = {"marks": [{"upn": UPN, "date": MARKED_ON.isoformat(), "session": "AM", "code": "N"}]}


async def seed_registers(client: httpx.AsyncClient) -> None:
    """The school (in trust T123), the pupil and an `N` mark, put by an admin."""
    school = {"name": "Matrix Primary", "la_code": LA, "phase": "primary", "trust": MATRIX_TRUST}
    assert (await client.put(f"/v1/schools/{URN}", json=school, headers=ADMIN)).status_code in (200, 201)
    assert (await client.put(PUPIL, json=pupil_body(), headers=ADMIN)).status_code in (200, 201)
    assert (await client.post(f"/v1/schools/{URN}/marks", json=MARKS, headers=ADMIN)).status_code == 200


def static(method: str, path: str, body: dict[str, Any] | None = None) -> Recipe:
    async def recipe(stack: Any) -> Call:
        return method, path, body

    return recipe


async def _fresh_pupil_deletion(stack: Any) -> Call:
    upn = new_upn()
    client = stack.clients["registers"]
    assert (await client.put(f"/v1/schools/{URN}/pupils/{upn}", json=pupil_body(), headers=ADMIN)).is_success
    body = {"ground": "moved_away", "date": today_in_london().isoformat(), "note": "matrix"}
    return "POST", f"/v1/schools/{URN}/pupils/{upn}/deletion", body


async def _admin_get(client: httpx.AsyncClient, path: str, **params: str) -> Any:
    answer = await client.get(path, params=params, headers=ADMIN)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def _alert_id(stack: Any) -> str:
    return (await _admin_get(stack.clients["alerts"], "/v1/alerts", upn=UPN))["alerts"][0]["id"]


async def _case_id(stack: Any) -> str:
    return (await _admin_get(stack.clients["casework"], "/v1/cases", upn=UPN, status="open"))["cases"][0][
        "id"
    ]


def on_alert(suffix: str = "", method: str = "GET", body: dict[str, Any] | None = None) -> Recipe:
    async def recipe(stack: Any) -> Call:
        return method, f"/v1/alerts/{await _alert_id(stack)}{suffix}", body

    return recipe


def on_case(suffix: str = "", method: str = "GET", body: dict[str, Any] | None = None) -> Recipe:
    async def recipe(stack: Any) -> Call:
        return method, f"/v1/cases/{await _case_id(stack)}{suffix}", body

    return recipe


LEGAL = {
    "type": "attendance_contract",
    "upn": UPN,
    "parent_contact_id": "c1",
    "issued_on": "2026-11-20",
    "reason": "matrix",
}


async def _stage_change(stack: Any) -> Call:
    """Between the two stages legal actions need, whichever the case is not at (same stage is a 409)."""
    case_id = await _case_id(stack)
    case = await _admin_get(stack.clients["casework"], f"/v1/cases/{case_id}")
    stage = "enforce" if case["stage"] == "formalise_support" else "formalise_support"
    return "POST", f"/v1/cases/{case_id}/stage", {"stage": stage, "reason": "matrix"}


async def _new_legal_action(stack: Any) -> Call:
    case_id = await _case_id(stack)
    answer = await stack.clients["casework"].post(
        f"/v1/cases/{case_id}/legal-actions", json=LEGAL, headers=ADMIN
    )
    assert answer.status_code == 201, answer.text
    return "POST", f"/v1/cases/{case_id}/legal-actions/{answer.json()['id']}/withdraw", {"reason": "matrix"}


async def _fresh_case_close(stack: Any) -> Call:
    upn = new_upn()
    await stack.feeds["casework"].send(
        pupil_upserted(upn, parent_email=f"{uuid.uuid4().hex[:8]}@example.com")
    )
    body = {"pupils": [{"school_urn": URN, "upn": upn}], "stage": "monitor", "reason": "matrix"}
    answer = await stack.clients["casework"].post("/v1/cases", json=body, headers=ADMIN)
    assert answer.status_code == 201, answer.text
    return "POST", f"/v1/cases/{answer.json()['id']}/close", {"outcome": "other", "note": "matrix"}


PLAN = {
    "kind": "joint_school_la",
    "lead": {"name": "Sam Patel", "role": "Attendance officer"},
    "review_on": "2099-01-01",
}


def _on_fresh_plan(suffix: str, body: dict[str, Any]) -> Recipe:
    """A new plan on the pupil's case (made by an admin), then `suffix` on it: each caller its own."""

    async def recipe(stack: Any) -> Call:
        case_id = await _case_id(stack)
        answer = await stack.clients["casework"].post(f"/v1/cases/{case_id}/plans", json=PLAN, headers=ADMIN)
        assert answer.status_code == 201, answer.text
        return "POST", f"/v1/cases/{case_id}/plans/{answer.json()['id']}/{suffix}", body

    return recipe


def _review() -> dict[str, Any]:
    return {"held_on": today_in_london().isoformat(), "progress": "no_change", "next_review_on": "2099-02-01"}


def _meeting() -> dict[str, Any]:
    return {"school_urn": URN, "held_on": today_in_london().isoformat(), "attendees": [], "agreed": []}


SUBSCRIPTION = {"url": "https://la.example/hook", "event_types": ["attendance.alert.raised"], "la_code": LA}


async def _fresh_subscription_delete(stack: Any) -> Call:
    answer = await stack.clients["notifications"].post("/v1/subscriptions", json=SUBSCRIPTION, headers=ADMIN)
    assert answer.status_code == 201, answer.text
    return "DELETE", f"/v1/subscriptions/{answer.json()['id']}", None


REPORT = {"first_date": today_in_london().isoformat(), "reason": "illness", "note": "matrix"}
LEAVE = {"first_date": (today_in_london() + dt.timedelta(days=7)).isoformat(), "category": "interview"}


def _fresh_request(kind: str, body: dict[str, Any], action: str, by: str = "admin") -> Recipe:
    """A new report or leave request (submitted by `by`), then `action` on it: each caller its own."""

    async def recipe(stack: Any) -> Call:
        answer = await stack.clients["registers"].post(f"{PUPIL}/{kind}", json=body, headers=headers_of(by))
        assert answer.status_code == 201, answer.text
        decision = {"decision": "accepted" if kind == "absence-reports" else "granted"}
        return (
            "POST",
            f"/v1/schools/{URN}/{kind}/{answer.json()['id']}/{action}",
            (decision if action == "decision" else None),
        )

    return recipe


RECIPES: dict[str, dict[str, Recipe]] = {
    "registers": {
        # An update (same LA): its MIS may. Registering a school or moving it to another LA is for
        # admins only: test_authorisation_matrix.test_registering_or_moving_a_school_is_for_admins.
        "PUT /v1/schools/{urn}": static(
            "PUT", f"/v1/schools/{URN}", {"name": "Matrix Primary", "la_code": LA, "phase": "primary"}
        ),
        "PUT /v1/schools/{urn}/pupils/{upn}": static("PUT", PUPIL, pupil_body()),
        "GET /v1/schools/{urn}/pupils/{upn}": static("GET", PUPIL),
        "POST /v1/schools/{urn}/pupils/{upn}/deletion": _fresh_pupil_deletion,
        "POST /v1/schools/{urn}/marks": static("POST", f"/v1/schools/{URN}/marks", MARKS),
        "GET /v1/schools/{urn}/pupils/{upn}/marks": static("GET", f"{PUPIL}/marks"),
        "GET /v1/schools/{urn}/pupils/{upn}/marks/{date}/{session_name}/history": static(
            "GET", f"{PUPIL}/marks/{MARKED_ON}/AM/history"
        ),
        "GET /v1/schools/{urn}/pupils/{upn}/attendance": static("GET", f"{PUPIL}/attendance"),
        "GET /v1/schools/{urn}/attendance": static("GET", f"/v1/schools/{URN}/attendance"),
        "GET /v1/schools/{urn}/attendance/pupils": static("GET", f"/v1/schools/{URN}/attendance/pupils"),
        "GET /v1/las/{la_code}/attendance/pupils": static("GET", f"/v1/las/{LA}/attendance/pupils"),
        "POST /v1/schools/{urn}/pupils/{upn}/absence-reports": static(
            "POST", f"{PUPIL}/absence-reports", REPORT
        ),
        "GET /v1/schools/{urn}/absence-reports": static("GET", f"/v1/schools/{URN}/absence-reports"),
        "GET /v1/schools/{urn}/pupils/{upn}/absence-reports": static("GET", f"{PUPIL}/absence-reports"),
        "POST /v1/schools/{urn}/absence-reports/{report_id}/decision": _fresh_request(
            "absence-reports", REPORT, "decision"
        ),
        "POST /v1/schools/{urn}/absence-reports/{report_id}/withdraw": _fresh_request(
            "absence-reports", REPORT, "withdraw", by="parent"
        ),
        "POST /v1/schools/{urn}/pupils/{upn}/leave-requests": static(
            "POST", f"{PUPIL}/leave-requests", LEAVE
        ),
        "GET /v1/schools/{urn}/leave-requests": static("GET", f"/v1/schools/{URN}/leave-requests"),
        "GET /v1/schools/{urn}/pupils/{upn}/leave-requests": static("GET", f"{PUPIL}/leave-requests"),
        "POST /v1/schools/{urn}/leave-requests/{request_id}/decision": _fresh_request(
            "leave-requests", LEAVE, "decision"
        ),
        "POST /v1/schools/{urn}/leave-requests/{request_id}/withdraw": _fresh_request(
            "leave-requests", LEAVE, "withdraw", by="parent"
        ),
        "GET /v1/audit": static("GET", "/v1/audit"),
        "GET /v1/schools": static("GET", "/v1/schools"),
        "GET /v1/schools/{urn}": static("GET", f"/v1/schools/{URN}"),
        "GET /v1/schools/{urn}/pupils": static("GET", f"/v1/schools/{URN}/pupils"),
        "GET /v1/reports/attendance": static("GET", f"/v1/reports/attendance?scope=school:{URN}"),
        "GET /v1/reports/attendance.html": static("GET", f"/v1/reports/attendance.html?scope=school:{URN}"),
        "GET /v1/reports/attendance.csv": static("GET", f"/v1/reports/attendance.csv?scope=school:{URN}"),
    },
    "alerts": {
        "GET /v1/alerts": static("GET", "/v1/alerts"),
        "GET /v1/alerts/{alert_id}": on_alert(),
        "POST /v1/alerts/{alert_id}/acknowledge": on_alert("/acknowledge", "POST", {"note": "seen"}),
        "GET /v1/rules": static("GET", "/v1/rules"),
        "PUT /v1/rules/{scope}": static("PUT", f"/v1/rules/school:{URN}", {"persistent_rate": 0.1}),
        "GET /v1/audit": static("GET", "/v1/audit"),
    },
    "casework": {
        "GET /v1/cases": static("GET", "/v1/cases"),
        "POST /v1/cases": static(
            "POST",
            "/v1/cases",
            {"pupils": [{"school_urn": URN, "upn": UPN}], "stage": "monitor", "reason": "x"},
        ),
        "GET /v1/cases/{case_id}": on_case(),
        "POST /v1/cases/{case_id}/stage": _stage_change,
        "POST /v1/cases/{case_id}/barriers": on_case(
            "/barriers", "POST", {"category": "transport", "description": "bus"}
        ),
        "POST /v1/cases/{case_id}/actions": on_case(
            "/actions", "POST", {"type": "meeting", "due_on": "2026-12-01", "notes": "matrix"}
        ),
        "POST /v1/cases/{case_id}/close": _fresh_case_close,
        "POST /v1/cases/{case_id}/legal-actions": on_case("/legal-actions", "POST", LEGAL),
        "POST /v1/cases/{case_id}/legal-actions/{action_id}/withdraw": _new_legal_action,
        "POST /v1/cases/{case_id}/plans": on_case("/plans", "POST", PLAN),
        "POST /v1/cases/{case_id}/plans/{plan_id}/reviews": _on_fresh_plan("reviews", _review()),
        "POST /v1/cases/{case_id}/plans/{plan_id}/end": _on_fresh_plan("end", {"outcome": "other"}),
        "GET /v1/las/{la_code}/support-meetings/pack": static(
            "GET", f"/v1/las/{LA}/support-meetings/pack?school={URN}"
        ),
        "POST /v1/las/{la_code}/support-meetings": static(
            "POST", f"/v1/las/{LA}/support-meetings", _meeting()
        ),
        "GET /v1/las/{la_code}/support-meetings": static(
            "GET", f"/v1/las/{LA}/support-meetings?school={URN}"
        ),
        "POST /v1/jobs/plan-review-reminders": static("POST", "/v1/jobs/plan-review-reminders"),
        "GET /v1/audit": static("GET", "/v1/audit"),
    },
    "notifications": {
        "GET /v1/parent/children": static("GET", "/v1/parent/children"),
        "GET /v1/parent/children/{upn}/attendance": static("GET", f"/v1/parent/children/{UPN}/attendance"),
        "GET /v1/parent/messages": static("GET", "/v1/parent/messages"),
        "GET /v1/parent/plans": static("GET", "/v1/parent/plans"),
        "GET /v1/notifications": static("GET", "/v1/notifications"),
        "POST /v1/subscriptions": static("POST", "/v1/subscriptions", SUBSCRIPTION),
        "GET /v1/subscriptions": static("GET", "/v1/subscriptions"),
        "DELETE /v1/subscriptions/{subscription_id}": _fresh_subscription_delete,
        "GET /v1/routing": static("GET", "/v1/routing"),
        "PUT /v1/routing/{scope}": static("PUT", f"/v1/routing/school:{URN}", {"routes": {}}),
        # The same period each time: the first call sends, the others answer its body (200).
        "POST /v1/schools/{urn}/attendance-updates": static(
            "POST", f"/v1/schools/{URN}/attendance-updates", {"from": str(MARKED_ON), "to": str(MARKED_ON)}
        ),
        "GET /v1/schools/{urn}/attendance-updates/schedule": static(
            "GET", f"/v1/schools/{URN}/attendance-updates/schedule"
        ),
        "PUT /v1/schools/{urn}/attendance-updates/schedule": static(
            "PUT", f"/v1/schools/{URN}/attendance-updates/schedule", {"frequency": "off"}
        ),
        "GET /v1/parent/preferences": static("GET", "/v1/parent/preferences"),
        "PUT /v1/parent/preferences": static("PUT", "/v1/parent/preferences", {"email": True}),
        "GET /v1/audit": static("GET", "/v1/audit"),
    },
}
