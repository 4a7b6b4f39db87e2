"""Every free-text and list field of every request body is bounded (attendance_common.bounds): one past
the bound is a 422 `validation_error`, in each schema family of the four services."""

from __future__ import annotations

from typing import Any

import pytest
from security_routes import PUPIL, pupil_body
from security_world import ADMIN, LA, URN

pytestmark = pytest.mark.integration

CASE = "/v1/cases/00000000-0000-0000-0000-000000000000"
LEGAL = {"type": "attendance_contract", "upn": "A801200115001", "issued_on": "2026-11-20"}


def _pupil(**contact: Any) -> dict[str, Any]:
    body = pupil_body()
    body["contacts"] = [{**body["contacts"][0], **contact}]
    return body


def _pupil_with_social_worker(**social_worker: Any) -> dict[str, Any]:
    return {**pupil_body(), "social_worker": {**pupil_body()["social_worker"], **social_worker}}


def _many_contacts() -> dict[str, Any]:
    body = pupil_body()
    body["contacts"] = [{**body["contacts"][0], "contact_id": f"c{i}"} for i in range(21)]
    return body


# (service, method, path, body with one value past its bound)
TOO_LONG: dict[str, tuple[str, str, str, dict[str, Any]]] = {
    "school name": ("registers", "PUT", f"/v1/schools/{URN}", {"name": "x" * 201, "la_code": LA}),
    "contact name": ("registers", "PUT", PUPIL, _pupil(name="x" * 201)),
    "contact phone": ("registers", "PUT", PUPIL, _pupil(phone="0" * 41)),
    "contact relationship": ("registers", "PUT", PUPIL, _pupil(relationship="x" * 101)),
    "contact email": ("registers", "PUT", PUPIL, _pupil(email="a" * 64 + "@" + "b" * 190 + ".uk")),
    "social worker name": ("registers", "PUT", PUPIL, _pupil_with_social_worker(name="x" * 201)),
    "social worker phone": ("registers", "PUT", PUPIL, _pupil_with_social_worker(phone="0" * 41)),
    "contacts": ("registers", "PUT", PUPIL, _many_contacts()),
    "deletion note": (
        "registers",
        "POST",
        f"{PUPIL}/deletion",
        {"ground": "moved_away", "date": "2026-12-31", "note": "x" * 1_001},
    ),
    "acknowledgement note": ("alerts", "POST", "/v1/alerts/a1/acknowledge", {"note": "x" * 1_001}),
    "rules enabled": ("alerts", "PUT", f"/v1/rules/school:{URN}", {"enabled": ["overdue_n"] * 51}),
    "rules threshold text": ("alerts", "PUT", f"/v1/rules/school:{URN}", {"persistent_rate": "x" * 51}),
    "case reason": (
        "casework",
        "POST",
        "/v1/cases",
        {"pupils": [{"school_urn": URN, "upn": "A801200115001"}], "stage": "monitor", "reason": "x" * 2_001},
    ),
    "case pupil upn": (
        "casework",
        "POST",
        "/v1/cases",
        {"pupils": [{"school_urn": URN, "upn": "A" * 51}], "stage": "monitor"},
    ),
    "stage reason": ("casework", "POST", f"{CASE}/stage", {"stage": "monitor", "reason": "x" * 2_001}),
    "barrier description": (
        "casework",
        "POST",
        f"{CASE}/barriers",
        {"category": "other", "description": "x" * 2_001},
    ),
    "action notes": (
        "casework",
        "POST",
        f"{CASE}/actions",
        {"type": "meeting", "due_on": "2026-12-01", "notes": "x" * 2_001},
    ),
    "close note": ("casework", "POST", f"{CASE}/close", {"outcome": "other", "note": "x" * 2_001}),
    "legal reason": ("casework", "POST", f"{CASE}/legal-actions", {**LEGAL, "reason": "x" * 2_001}),
    "legal section": ("casework", "POST", f"{CASE}/legal-actions", {**LEGAL, "section": "4" * 51}),
    "legal parent": (
        "casework",
        "POST",
        f"{CASE}/legal-actions",
        {**LEGAL, "parent_contact_id": "c" * 101},
    ),
    "withdrawal reason": ("casework", "POST", f"{CASE}/legal-actions/l1/withdraw", {"reason": "x" * 2_001}),
    "absence report note": (
        "registers",
        "POST",
        f"{PUPIL}/absence-reports",
        {"first_date": "2026-12-03", "reason": "illness", "note": "x" * 1_001},
    ),
    "absence report decision note": (
        "registers",
        "POST",
        f"/v1/schools/{URN}/absence-reports/r1/decision",
        {"decision": "declined", "note": "x" * 1_001},
    ),
    "leave request reason": (
        "registers",
        "POST",
        f"{PUPIL}/leave-requests",
        {"first_date": "2026-12-31", "category": "interview", "reason": "x" * 1_001},
    ),
    "leave decision note": (
        "registers",
        "POST",
        f"/v1/schools/{URN}/leave-requests/l1/decision",
        {"decision": "refused", "note": "x" * 1_001},
    ),
    "webhook url": (
        "notifications",
        "POST",
        "/v1/subscriptions",
        {"url": "https://la.example/" + "x" * 500, "event_types": ["attendance.alert.raised"], "la_code": LA},
    ),
    "webhook event types": (
        "notifications",
        "POST",
        "/v1/subscriptions",
        {"url": "https://la.example/hook", "event_types": ["attendance.alert.raised"] * 51, "la_code": LA},
    ),
    "webhook alert type": (
        "notifications",
        "POST",
        "/v1/subscriptions",
        {
            "url": "https://la.example/hook",
            "event_types": ["attendance.alert.raised"],
            "alert_types": ["x" * 51],
            "la_code": LA,
        },
    ),
    "routing channels": (
        "notifications",
        "PUT",
        f"/v1/routing/school:{URN}",
        {"routes": {"first_day_absence": {"parents": ["app"] * 51}}},
    ),
    "routing triggers": (
        "notifications",
        "PUT",
        f"/v1/routing/school:{URN}",
        {"routes": {f"trigger_{i}": {} for i in range(51)}},
    ),
}


@pytest.mark.parametrize("field", TOO_LONG)
async def test_a_value_past_its_bound_is_a_422_validation_problem(stack, field):
    service, method, path, body = TOO_LONG[field]

    answer = await stack.clients[service].request(method, path, json=body, headers=ADMIN)

    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "validation_error"
    assert {e["type"] for e in answer.json()["errors"]} & {"string_too_long", "too_long", "value_error"}
