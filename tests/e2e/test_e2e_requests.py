"""Families speak, through the whole system: a parent's report reaches the school's list and spares
the family a first-day chase; the school's decisions reach the parents' app and inbox."""

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


class Family:
    """A school of two pupils, each with one parent; the parents' addresses name the URN."""

    def __init__(self, driver: Driver, urn: str) -> None:
        self.driver, self.urn = driver, urn
        self.upns = [make_upn("801", urn[-4:], "25", f"{n:03d}") for n in (1, 2)]
        self.emails = [f"parent{n}.{urn}@example.com" for n in (1, 2)]
        self.parents = [token("parent", email=email) for email in self.emails]
        self.staff = token("school_staff", schools=[urn])

    def enrol(self) -> None:
        body = {"name": f"School {self.urn}", "la_code": self.driver.school.la_code, "phase": "primary"}
        assert self.call("PUT", "registers", f"/v1/schools/{self.urn}", token("admin"), json=body).is_success
        for n, upn in enumerate(self.upns):
            contact = {
                "contact_id": "c1",
                "name": f"Parent {n + 1}",
                "relationship": "mother",
                "parental_responsibility": True,
                "email": self.emails[n],
                "priority": 1,
            }
            pupil = {
                "given_name": f"Child{n + 1}",
                "family_name": "Family",
                "year_group": "5",
                "start_date": "2025-09-01",
                "contacts": [contact],
            }
            path = f"/v1/schools/{self.urn}/pupils/{upn}"
            assert self.call("PUT", "registers", path, self.driver.mis, json=pupil).status_code == 201

    def call(self, method: str, service: str, path: str, headers: dict[str, str], **kw: Any):
        return self.driver.call(method, service, path, headers, **kw)

    def report(self, n: int, **body: Any) -> dict[str, Any]:
        path = f"/v1/schools/{self.urn}/pupils/{self.upns[n]}/absence-reports"
        answer = self.call("POST", "registers", path, self.parents[n], json={"reason": "illness", **body})
        assert answer.status_code == 201, answer.text
        return answer.json()

    def decide(self, kind: str, request_id: str, decision: str, note: str | None = None) -> None:
        path = f"/v1/schools/{self.urn}/{kind}/{request_id}/decision"
        answer = self.call("POST", "registers", path, self.staff, json={"decision": decision, "note": note})
        assert answer.status_code == 200, answer.text

    def n_mark(self, n: int) -> None:
        mark = {"upn": self.upns[n], "date": today(), "session": "AM", "code": "N"}
        result = self.driver.post_marks([mark])
        assert result["accepted"] + result["amended"] == 1, result

    def feed(self, n: int) -> list[dict[str, Any]]:
        return self.driver.pages("notifications", "/v1/parent/messages", "messages", self.parents[n])

    def first_day(self, n: int) -> list[tuple[str, str, str | None]]:
        """(channel, status, error) of the first-day contacts about pupil n."""
        rows = self.driver.pages(
            "notifications", "/v1/notifications", "notifications", self.driver.la, school=self.urn
        )
        return sorted(
            (d["channel"], d["status"], d["error"])
            for d in rows
            if d["upn"] == self.upns[n] and d["trigger"] == "first_day_absence"
        )


def today() -> str:
    return today_in_london().isoformat()


def eventually(check: Callable[[], Any], timeout: float = 120) -> Any:
    """Poll until `check()` is truthy; its last value either way."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.5)


def family_at(stack, urn: str, la_code: str) -> Family:
    driver = Driver(stack, School(urn=urn, la_code=la_code, days=[], closure=[], pupils=[], amendments=[]))
    family = Family(driver, urn)
    family.enrol()
    return family


def test_a_parent_who_reported_the_illness_is_not_chased_by_the_first_day_contact(stack, smtp: Mailbox):
    family = family_at(stack, "100019", "384")
    report = family.report(0, first_date=today(), note="Temperature in the night")
    listed = family.call("GET", "registers", f"/v1/schools/{family.urn}/absence-reports", family.staff)
    assert [r["id"] for r in listed.json()["absence_reports"]] == [report["id"]]
    family.n_mark(0)  # the register, at once: pupil 0 reported, pupil 1 not
    family.n_mark(1)

    skipped = [("app", "skipped", "reported_by_parent"), ("email", "skipped", "reported_by_parent")]
    assert eventually(lambda: family.first_day(0) == skipped), family.first_day(0)
    assert eventually(lambda: family.first_day(1) == [("app", "sent", None), ("email", "sent", None)])
    assert family.feed(0) == []
    assert [m["kind"] for m in family.feed(1)] == ["first_day_absence"]
    assert smtp.distinct(family.emails[1]) == 1
    assert smtp.distinct(family.emails[0]) == 0


def test_a_report_after_the_first_day_message_changes_nothing_sent_and_the_decision_follows(
    stack, smtp: Mailbox
):
    family = family_at(stack, "100020", "385")
    family.n_mark(0)
    sent = [("app", "sent", None), ("email", "sent", None)]
    assert eventually(lambda: family.first_day(0) == sent), family.first_day(0)

    report = family.report(0, first_date=today(), note="Sorry, forgot to call")
    family.decide("absence-reports", report["id"], "accepted")

    assert eventually(lambda: len(family.feed(0)) == 2)
    assert sorted(m["kind"] for m in family.feed(0)) == ["absence_report_decided", "first_day_absence"]
    assert family.first_day(0) == sent  # a message already sent is not unsent
    assert eventually(lambda: smtp.distinct(family.emails[0]) == 2)


def test_leave_granted_reaches_the_parents_app_and_inbox(stack, smtp: Mailbox):
    family = family_at(stack, "100021", "386")
    first = (today_in_london() + dt.timedelta(days=14)).isoformat()
    path = f"/v1/schools/{family.urn}/pupils/{family.upns[1]}/leave-requests"
    body = {"first_date": first, "category": "interview", "reason": "Secondary school interview"}
    answer = family.call("POST", "registers", path, family.parents[1], json=body)
    assert (answer.status_code, answer.json()["expected_code"]) == (201, "J1")

    family.decide("leave-requests", answer.json()["id"], "granted")

    feed = eventually(lambda: family.feed(1))
    assert [m["kind"] for m in feed] == ["leave_request_decided"]
    assert "agreed" in feed[0]["title"]
    assert eventually(lambda: smtp.distinct(family.emails[1]) == 1)
