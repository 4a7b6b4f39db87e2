"""A school term through the whole system, driven as an MIS, an LA and parents would drive it."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from e2e_checks import settle_and_check
from e2e_client import Driver, token
from e2e_expect import counts, expect
from e2e_school import DELETED, LATE_JOINER, TERM_START, make_school

from attendance_common.identifiers import make_upn

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]
PERIOD = {"from": "2025-09-01", "to": "2025-12-31"}


def test_a_term_of_registers_leads_to_the_alerts_cases_and_messages_that_must_follow(stack, smtp, webhooks):
    school = make_school("100001", "380")
    driver = Driver(stack, school)
    driver.enrol(webhook_url=webhooks.url)

    totals = driver.post_term()
    assert totals == Counter(accepted=school.mark_count())
    resent = driver.post_marks(school.registers()[20][2])
    assert (resent["accepted"], resent["amended"], resent["unchanged"]) == (
        0,
        0,
        len(school.registers()[20][2]),
    )
    assert sorted(r["error_code"] for r in driver.post_marks(bad_marks(school))["rejected"]) == [
        "before_start_date",
        "future_date",
        "no_mark",
        "retired_code",
        "unknown_pupil",
    ]
    settle_and_check(driver, expect(school, settled=False), smtp, webhooks)

    # The office settles its `N`s and corrects a register; a pupil moves away.
    assert driver.post_marks(school.amendments)["amended"] == len(school.amendments)
    deleted = school.pupils[DELETED]
    path = f"/v1/schools/{school.urn}/pupils/{deleted.upn}/deletion"
    body = {"ground": "moved_away", "date": dt.date.today().isoformat(), "note": "moved to Leeds"}
    assert driver.call("POST", "registers", path, driver.mis, json=body).status_code == 200
    expected = expect(school, settled=True, deleted=deleted.upn)
    settle_and_check(driver, expected, smtp, webhooks)

    check_parent_app(driver, expected)
    check_school_summary(driver)


def bad_marks(school) -> list[dict[str, object]]:
    upn = school.pupils[100].upn
    day = TERM_START.isoformat()
    return [
        {"upn": upn, "date": day, "session": "AM", "code": "H"},
        {"upn": upn, "date": day, "session": "PM", "code": "-"},
        {"upn": make_upn("801", school.urn[-4:], "19", "999"), "date": day, "session": "AM", "code": "/"},
        {"upn": upn, "date": "2031-01-06", "session": "AM", "code": "/"},
        {"upn": school.pupils[LATE_JOINER].upn, "date": day, "session": "AM", "code": "/"},
    ]


def check_parent_app(driver: Driver, expected) -> None:
    """Every parent's feed holds exactly their messages; a mother sees her two children's registers."""
    for email, messages in expected.feeds.items():
        feed = driver.pages("notifications", "/v1/parent/messages", "messages", token("parent", email=email))
        assert len(feed) == messages, email
    school = driver.school
    mother = token("parent", email=f"parent0.a.{school.urn}@example.com")
    answer = driver.call("GET", "notifications", "/v1/parent/children", mother)
    children = {child["upn"] for child in answer.json()["children"]}
    assert children == {school.pupils[0].upn, school.pupils[150].upn}
    for pupil in (school.pupils[0], school.pupils[150]):
        path = f"/v1/parent/children/{pupil.upn}/attendance"
        answer = driver.call("GET", "notifications", path, mother, params=PERIOD).json()
        assert {key: answer[key] for key in counts(pupil.marks)} == counts(pupil.marks)
        last = sorted(d for d in school.days)[-10:]
        recent = [(m["date"], m["session"], m["code"]) for m in answer["recent_marks"]]
        assert recent == [(d.isoformat(), s, pupil.marks[(d, s)]) for d in last for s in ("AM", "PM")]
    stranger = token("parent", email=f"parent1.a.{school.urn}@example.com")
    path = f"/v1/parent/children/{school.pupils[0].upn}/attendance"
    assert driver.call("GET", "notifications", path, stranger).status_code == 404
    grandparent = token("parent", email=f"grandparent0.{school.urn}@example.com")
    assert driver.call("GET", "notifications", "/v1/parent/children", grandparent).json()["children"] == []


def check_school_summary(driver: Driver) -> None:
    """The registers' own figures agree with the marks sent (nothing lost on the way in)."""
    school = driver.school
    path = f"/v1/schools/{school.urn}/attendance"
    overall = driver.call("GET", "registers", path, driver.la, params=PERIOD).json()["overall"]
    figures = [counts(p.marks) for p in school.pupils]
    possible = sum(f["possible_sessions"] for f in figures)
    absent = sum(f["authorised_absence"] + f["unauthorised_absence"] for f in figures)
    persistent = sum(
        (f["authorised_absence"] + f["unauthorised_absence"]) * 10 >= f["possible_sessions"] for f in figures
    )
    assert overall["pupils"] == len(school.pupils)
    assert overall["possible_sessions"] == possible
    assert overall["absence_rate"] == pytest.approx(absent / possible)
    assert overall["persistent_absence_rate"] == pytest.approx(persistent / len(school.pupils))
