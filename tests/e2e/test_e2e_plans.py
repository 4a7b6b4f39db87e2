"""Support first, through the whole system (api.md Part 2): a pupil's attendance falls over the
school's last 20 school days while her year is still below persistent absence, so emerging absence
opens her family's case at `monitor` and her parent is offered a chat (app and email); then her
register makes her severely absent, which clears the emerging alert; the case lacks a joint plan
and is in the LA's pack; the targeting support meeting agrees an action, which lands on the case;
a joint plan is agreed; her parent is told and sees it in the app."""

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
from attendance_common.codes import academic_year_start
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


def weekdays_before(day: dt.date, count: int) -> list[dt.date]:
    days: list[dt.date] = []
    while len(days) < count:
        day -= dt.timedelta(days=1)
        if day.weekday() < 5:
            days.append(day)
    return sorted(days)


def school_days_before(today: dt.date, count: int) -> list[dt.date]:
    """The last `count` weekdays before today, all in one academic year (the counts are per year):
    this year's if it has held that many, else the last ones of the year before."""
    days = weekdays_before(today, count)
    start = academic_year_start(today)
    return days if days[0] >= start else weekdays_before(start, count)


# The pupil's school days: five weeks in which her attendance falls (two days off in the last one),
# then the absence that makes her severely absent.
FALLING, SEVERE = 25, 22
ILL, AWAY = 21, 23  # the two days off of the first part (by index)
BREAK = FALLING + 11  # one day ill within the second part: no 20-day run of G/N/O


def falling_marks(upn: str, days: list[dt.date]) -> list[dict[str, str]]:
    """4 absent sessions of 50 in the year (8%, below persistent absence) but 4 of the 40 in the
    school's last 20 school days (10%): emerging absence. Absences late enough that no prefix of
    the marks reaches 10% over the year either, however the alerts worker takes them."""
    code = {ILL: ("I", "I"), AWAY: ("O", "O")}
    return [
        {"upn": upn, "date": d.isoformat(), "session": s, "code": code.get(n, ("/", "\\"))[k]}
        for n, d in enumerate(days[:FALLING])
        for k, s in enumerate(("AM", "PM"))
    ]


def severe_marks(upn: str, days: list[dt.date]) -> list[dict[str, str]]:
    """22 days away, unexplained but for one ill day: (4 + 44) of (50 + 44) = 51% over the year."""
    return [
        {"upn": upn, "date": d.isoformat(), "session": s, "code": "I" if n == BREAK else "O"}
        for n, d in enumerate(days[FALLING:], start=FALLING)
        for s in ("AM", "PM")
    ]


def test_a_pupils_falling_attendance_is_caught_early_then_a_joint_plan_is_agreed_and_her_parent_sees_it(
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
    driver.switch_alerts(emerging=True)
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
    days = school_days_before(today_in_london(), FALLING + SEVERE)

    # Her attendance falls: emerging absence, before any persistent absence over the year.
    driver.post_marks(falling_marks(upn, days))

    def alerts(kind: str) -> list[dict[str, Any]]:
        params = {"school": URN, "upn": upn, "type": kind, "status": "all"}
        return call("GET", "alerts", "/v1/alerts", officer, params=params).json()["alerts"]

    raised = eventually(lambda: alerts("emerging_absence"))
    assert [a["status"] for a in raised] == ["open"], raised
    figures = raised[0]["evidence"]["figures"]
    assert (figures["numerator"], figures["denominator"]) == (4, 40), figures
    window = (figures["window"]["from"], figures["window"]["to"], figures["window"]["school_days"])
    assert window == (days[FALLING - 20].isoformat(), days[FALLING - 1].isoformat(), 20), figures
    assert alerts("persistent_absence") == []

    def cases_of_her() -> list[dict[str, Any]]:
        return call("GET", "casework", "/v1/cases", officer, params={"upn": upn}).json()["cases"]

    opened = eventually(cases_of_her)
    assert [c["stage"] for c in opened] == ["monitor"], opened
    early = opened[0]

    # The parent hears early: an offer of a chat, in the app and by email, and no word of fines.
    def offered() -> list[dict[str, Any]]:
        messages = driver.pages("notifications", FEED, "messages", parent)
        return [m for m in messages if m["kind"] == "emerging_absence"]

    offers = eventually(offered)
    assert len(offers) == 1, driver.pages("notifications", FEED, "messages", parent)
    offer = offers[0]
    assert offer["title"] == "Could we have a chat about how Ada is getting on?", offer
    assert "4 of 40" in offer["body"] and "fine" not in offer["body"].lower(), offer["body"]
    chat = ["Could we have a chat about how Ada is getting on?"]
    assert eventually(lambda: smtp.subjects_to(mum) == chat), smtp.subjects_to(mum)

    # Then she is away for weeks: severe absence (and persistent, and ten days unauthorised), which
    # takes over from emerging absence.
    driver.post_marks(severe_marks(upn, days))

    def lacking() -> list[dict[str, Any]]:
        params = {"missing_joint_plan": "true", "upn": upn}
        return call("GET", "casework", "/v1/cases", officer, params=params).json()["cases"]

    cases = eventually(lacking)
    assert len(cases) == 1, cases
    case = cases[0]
    assert (case["id"], case["stage"]) == (early["id"], "facilitate_support"), case
    cleared = eventually(lambda: alerts("emerging_absence")[0]["status"] == "cleared")
    assert cleared, alerts("emerging_absence")
    assert alerts("twenty_day_continuous_absence") == []

    pack = call(
        "GET", "casework", f"/v1/las/{LA}/support-meetings/pack", staff, params={"school": URN}
    ).json()
    (row,) = pack["pupils"]
    assert (row["upn"], row["case"]["id"], row["case"]["plans"]) == (upn, case["id"], [])
    assert {"severe_absence", "persistent_absence"} <= set(row["alerts"])
    assert "emerging_absence" not in row["alerts"]

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
    kinds = {"emerging_absence", "persistent_absence", "severe_absence", "plan_agreed"}
    feed = eventually(
        lambda: kinds <= {m["kind"] for m in driver.pages("notifications", FEED, "messages", parent)}
    )
    assert feed, driver.pages("notifications", FEED, "messages", parent)
    # The early offer is marked resolved now that persistent absence has taken over.
    assert eventually(lambda: all(m["resolved_at"] for m in offered())), offered()
    # An email for each: the three alerts' support-first messages and the plan's.
    assert eventually(lambda: smtp.distinct(mum) == 4), smtp.subjects_to(mum)
