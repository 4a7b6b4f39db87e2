"""Overdue plan reviews (architecture.md "Work driven by the clock"), on PostgreSQL and SQLite with an
injected clock: an active plan whose review date has passed gets one case action reminding of its
review, once per plan and review date, whether run through the admin's API route, by two runs at
once or by the worker's daily tick; a review recorded moves the date on and a new overdue date is
reminded again."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from casework_support import admin, new_email, new_upn, new_urn, only_case, staff

from attendance_common.clock import today_in_london
from attendance_common.db import Database
from attendance_common.testing.workers import eventually, running
from casework import plan_reminders
from casework.worker import make_worker

pytestmark = pytest.mark.integration
ROUTE = "/v1/jobs/plan-review-reminders"
LEAD = {"name": "Sam Patel", "role": "Attendance officer", "organisation": "LA 380", "email": "sam@la.gov.uk"}


def at(day: dt.date) -> dt.datetime:
    """Noon UTC on `day` (the same school-local day all year)."""
    return dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)


async def plan_on_new_case(client, feed, review_in_days: int = 28) -> tuple[str, dict[str, Any], str]:
    """A severely absent pupil's case and a plan on it due for review in `review_in_days` days."""
    urn, upn = new_urn(), new_upn()
    await feed.pupil(urn, upn, email=new_email())
    await feed.alert(urn, upn, "severe_absence")
    case = await only_case(client, upn)
    body = {
        "kind": "joint_school_la",
        "lead": LEAD,
        "targets": [],
        "review_on": (today_in_london() + dt.timedelta(days=review_in_days)).isoformat(),
        "agreed_with_family": True,
    }
    response = await client.post(f"/v1/cases/{case['id']}/plans", json=body, headers=staff(urn))
    assert response.status_code == 201, response.text
    return case["id"], response.json(), urn


async def reminders(client, case_id: str) -> list[dict[str, Any]]:
    case = (await client.get(f"/v1/cases/{case_id}", headers=admin())).json()
    return [a for a in case["actions"] if (a["notes"] or "").startswith("Plan review overdue")]


async def test_the_admins_route_reminds_each_overdue_plan_once_per_review_date(client, feed, casework_app):
    case_id, plan, urn = await plan_on_new_case(client, feed)
    review_on = dt.date.fromisoformat(plan["review_on"])
    clock = {"now": at(review_on)}
    casework_app.state.clock = lambda: clock["now"]
    try:
        # On the review date itself it is not overdue yet.
        response = await client.post(ROUTE, headers=admin())
        assert response.status_code == 200, response.text
        assert response.json()["on"] == review_on.isoformat()
        assert await reminders(client, case_id) == []

        # The day after: one reminder, an `attendance_plan` action due that day, naming plan and date.
        clock["now"] = at(review_on + dt.timedelta(days=1))
        first = (await client.post(ROUTE, headers=admin())).json()
        assert first["reminded"] >= 1
        (action,) = await reminders(client, case_id)
        assert (action["type"], action["due_on"], action["created_by"]) == (
            "attendance_plan",
            (review_on + dt.timedelta(days=1)).isoformat(),
            "system",
        )
        assert f"{review_on:%-d %B %Y}" in action["notes"] and "Sam Patel" in action["notes"]
        assert "sam@la.gov.uk" not in action["notes"]

        # Run again, the same day and the next: nothing doubles.
        assert (await client.post(ROUTE, headers=admin())).json()["reminded"] == 0
        clock["now"] = at(review_on + dt.timedelta(days=2))
        assert (await client.post(ROUTE, headers=admin())).json()["reminded"] == 0
        assert len(await reminders(client, case_id)) == 1

        # The review is held (today, for real): its next date passes in turn and is reminded once.
        today = today_in_london()
        next_review = today + dt.timedelta(days=60)
        response = await client.post(
            f"/v1/cases/{case_id}/plans/{plan['id']}/reviews",
            json={
                "held_on": today.isoformat(),
                "progress": "improving",
                "next_review_on": next_review.isoformat(),
            },
            headers=staff(urn),
        )
        assert response.status_code == 201, response.text
        clock["now"] = at(next_review + dt.timedelta(days=3))
        assert (await client.post(ROUTE, headers=admin())).json()["reminded"] >= 1
        assert (await client.post(ROUTE, headers=admin())).json()["reminded"] == 0
        assert len(await reminders(client, case_id)) == 2

        # An ended plan is never reminded.
        ended_case, ended_plan, ended_urn = await plan_on_new_case(client, feed)
        response = await client.post(
            f"/v1/cases/{ended_case}/plans/{ended_plan['id']}/end",
            json={"outcome": "other"},
            headers=staff(ended_urn),
        )
        assert response.status_code in (200, 201, 204), response.text
        clock["now"] = at(today + dt.timedelta(days=400))
        await client.post(ROUTE, headers=admin())
        assert await reminders(client, ended_case) == []
    finally:
        casework_app.state.clock = None


async def test_only_an_admin_runs_the_job(client):
    for headers in (staff(new_urn()), {"Authorization": "Bearer nope"}):
        response = await client.post(ROUTE, headers=headers)
        assert response.status_code in (401, 403)
        assert response.headers["content-type"] == "application/problem+json"


async def test_two_runs_at_once_remind_once(client, feed, casework_settings):
    case_id, plan, _urn = await plan_on_new_case(client, feed)
    when = at(dt.date.fromisoformat(plan["review_on"]) + dt.timedelta(days=5))
    database = Database(casework_settings.resolved_database_url)
    try:
        await asyncio.gather(plan_reminders.run(database, when), plan_reminders.run(database, when))
        await plan_reminders.run(database, when)
    finally:
        await database.dispose()
    assert len(await reminders(client, case_id)) == 1


async def test_the_worker_reminds_once_a_day_by_its_clock_and_never_twice(client, feed, casework_settings):
    case_id, plan, _urn = await plan_on_new_case(client, feed, review_in_days=10)
    review_on = dt.date.fromisoformat(plan["review_on"])
    clock = {"now": at(review_on + dt.timedelta(days=1))}
    settings = casework_settings.model_copy(update={"plan_review_poll_seconds": 0.05})

    async def reminded() -> list[dict[str, Any]]:
        return await reminders(client, case_id)

    async with running(make_worker(settings, clock=lambda: clock["now"])) as task:
        (first,) = await eventually(reminded, what="the overdue review's reminder", tasks=(task,))
        clock["now"] = at(review_on + dt.timedelta(days=2))  # a new day: the worker runs again
        await asyncio.sleep(0.5)
    # A restarted worker, the same day: nothing more.
    async with running(make_worker(settings, clock=lambda: clock["now"])):
        await asyncio.sleep(0.5)
    assert [a["id"] for a in await reminders(client, case_id)] == [first["id"]]
