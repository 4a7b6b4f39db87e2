"""Schools and the LA plan together, through the whole system (api.md Part 2): a pupil's register
makes her severely absent; her family's case lacks a joint plan and is in the LA's pack; the
targeting support meeting agrees an action, which lands on the case; a joint plan is agreed; her
parent is told and sees it in the app."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

import pytest
from e2e_client import Driver, token
from e2e_receivers import Mailbox
from e2e_school import School

from attendance_common.clock import today_in_london
from attendance_common.identifiers import make_upn

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]
URN, LA = "100022", "387"
FEED = "/v1/parent/messages"


def eventually(check: Callable[[], Any], timeout: float = 120) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.5)


def school_days_before(today: dt.date, count: int) -> list[dt.date]:
    days, day = [], today - dt.timedelta(days=1)
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day -= dt.timedelta(days=1)
    return sorted(days)


def test_a_severely_absent_pupil_gets_a_joint_plan_through_the_la_meeting_and_her_parent_sees_it(
    stack, smtp: Mailbox
):
    driver = Driver(stack, School(urn=URN, la_code=LA, days=[], closure=[], pupils=[], amendments=[]))
    upn, mum = make_upn("801", URN[-4:], "25", "001"), f"mum.{URN}@example.com"
    officer, staff, parent = (
        token("la_officer", la=LA),
        token("school_staff", schools=[URN]),
        token("parent", email=mum),
    )

    def call(method: str, service: str, path: str, headers: dict[str, str], **kw: Any):
        return driver.call(method, service, path, headers, **kw)

    school = {"name": f"School {URN}", "la_code": LA, "phase": "primary"}
    assert call("PUT", "registers", f"/v1/schools/{URN}", token("admin"), json=school).is_success
    contact = {
        "contact_id": "c1",
        "name": "Mary",
        "relationship": "mother",
        "parental_responsibility": True,
        "email": mum,
        "priority": 1,
    }
    pupil = {
        "given_name": "Ada",
        "family_name": "Family",
        "year_group": "5",
        "start_date": "2025-09-01",
        "contacts": [contact],
    }
    assert (
        call("PUT", "registers", f"/v1/schools/{URN}/pupils/{upn}", driver.mis, json=pupil).status_code == 201
    )
    # Three school weeks away, unexplained: severe absence (and persistent, and ten days unauthorised).
    days = school_days_before(today_in_london(), 15)
    driver.post_marks(
        [{"upn": upn, "date": d.isoformat(), "session": s, "code": "O"} for d in days for s in ("AM", "PM")]
    )

    def lacking() -> list[dict[str, Any]]:
        params = {"missing_joint_plan": "true", "upn": upn}
        return call("GET", "casework", "/v1/cases", officer, params=params).json()["cases"]

    cases = eventually(lacking)
    assert len(cases) == 1, cases
    case = cases[0]
    assert case["stage"] == "facilitate_support"

    pack = call(
        "GET", "casework", f"/v1/las/{LA}/support-meetings/pack", staff, params={"school": URN}
    ).json()
    (row,) = pack["pupils"]
    assert (row["upn"], row["case"]["id"], row["case"]["plans"]) == (upn, case["id"], [])
    assert {"severe_absence", "persistent_absence"} <= set(row["alerts"])

    due = (today_in_london() + dt.timedelta(days=14)).isoformat()
    meeting = {
        "school_urn": URN,
        "held_on": today_in_london().isoformat(),
        "attendees": [{"name": "Sam Patel", "role": "Attendance officer", "organisation": f"LA {LA}"}],
        "notes": "Autumn targeting support meeting",
        "agreed": [
            {
                "case_id": case["id"],
                "action": "Agree a joint plan with the family",
                "owner": "Sam Patel",
                "due_on": due,
            }
        ],
    }
    held = call("POST", "casework", f"/v1/las/{LA}/support-meetings", officer, json=meeting)
    assert held.status_code == 201, held.text
    actions = call("GET", "casework", f"/v1/cases/{case['id']}", officer).json()["actions"]
    assert [(a["type"], a["due_on"]) for a in actions] == [("other", due)]

    plan = {
        "kind": "joint_school_la",
        "lead": {"name": "Sam Patel", "role": "Attendance officer", "organisation": f"LA {LA}"},
        "targets": [{"description": "In school every day next week", "attendance_rate": 0.9}],
        "review_on": (today_in_london() + dt.timedelta(days=28)).isoformat(),
        "agreed_with_family": True,
    }
    agreed = call("POST", "casework", f"/v1/cases/{case['id']}/plans", officer, json=plan)
    assert agreed.status_code == 201, agreed.text
    assert lacking() == []

    shown = eventually(lambda: call("GET", "notifications", "/v1/parent/plans", parent).json()["plans"])
    assert [(p["id"], p["upn"], p["kind"]) for p in shown] == [(agreed.json()["id"], upn, "joint_school_la")]
    kinds = {"persistent_absence", "severe_absence", "plan_agreed"}
    feed = eventually(
        lambda: kinds <= {m["kind"] for m in driver.pages("notifications", FEED, "messages", parent)}
    )
    assert feed, driver.pages("notifications", FEED, "messages", parent)
    # An email for each: the two alerts' support-first messages and the plan's.
    assert eventually(lambda: smtp.distinct(mum) == 3), smtp.distinct(mum)
