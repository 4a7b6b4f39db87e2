"""A catch-up through the real chain over the session's broker: four weeks-old Ns posted to
registers in one batch raise four first-day alerts, and the parent gets one message listing the
four dates (api.md Part 2 "Parents are not flooded"), one delivery per channel in the log."""

from __future__ import annotations

import datetime as dt

import pytest
from chain_support import registers_to_parents
from notifications_support import auth, new_upn, new_urn

from attendance_common.clock import today_in_london
from attendance_common.testing.workers import eventually
from notifications.delivery.templates import long_date

pytestmark = pytest.mark.integration


def pupil_body(mum: str) -> dict:
    mother = {"contact_id": "c1", "name": "Annabella", "relationship": "mother"}
    return {
        "given_name": "Augusta",
        "family_name": "Byron",
        "year_group": "6",
        "start_date": "2025-09-01",
        "contacts": [{**mother, "parental_responsibility": True, "email": mum, "priority": 1}],
    }


def old_weekdays(count: int) -> list[dt.date]:
    """`count` weekdays three weeks and more before today, oldest first."""
    day, found = today_in_london() - dt.timedelta(days=21), []
    while len(found) < count:
        day -= dt.timedelta(days=1)
        if day.weekday() < 5:
            found.insert(0, day)
    return found


async def test_a_catch_up_posted_to_registers_reaches_the_parent_as_one_message_listing_the_dates(
    backend, test_databases, kafka_bootstrap, notifications_settings
):
    urn, upn, days = new_urn(), new_upn(), old_weekdays(4)
    mum = f"annabella-{urn}@example.com"
    async with registers_to_parents(backend, test_databases, kafka_bootstrap, notifications_settings) as (
        registers,
        app,
        tasks,
    ):
        mis = auth("mis", sub=f"mis-{urn}", schools=[urn])
        school = {"name": "Hill Primary", "la_code": "380", "phase": "primary"}
        assert (await registers.put(f"/v1/schools/{urn}", json=school, headers=auth("admin"))).is_success
        put = await registers.put(f"/v1/schools/{urn}/pupils/{upn}", json=pupil_body(mum), headers=mis)
        assert put.is_success, put.text
        marks = [
            {"upn": upn, "date": day.isoformat(), "session": session, "code": "N" if session == "AM" else "/"}
            for day in days
            for session in ("AM", "PM")
        ]
        posted = await registers.post(f"/v1/schools/{urn}/marks", json={"marks": marks}, headers=mis)
        assert posted.json()["accepted"] == len(marks), posted.text

        parent = auth("parent", sub="annabella", email=mum)

        async def listing_every_date() -> list[dict]:
            messages = (await app.get("/v1/parent/messages", headers=parent)).json()["messages"]
            return [m for m in messages if all(long_date(day) in m["body"] for day in days)]

        (message,) = await eventually(listing_every_date, what="one message listing the dates", tasks=tasks)
        assert message["kind"] == "first_day_absence"
        assert message["title"] == "Augusta was not in school on 4 days"
        assert len((await app.get("/v1/parent/messages", headers=parent)).json()["messages"]) == 1

        staff = auth("school_staff", schools=[urn])

        async def sent() -> list[dict]:
            log = (await app.get("/v1/notifications", params={"upn": upn}, headers=staff)).json()
            rows = log["notifications"]
            return rows if {r["status"] for r in rows} == {"sent"} else []

        rows = await eventually(sent, what="the email sent", tasks=tasks)
        assert sorted((r["trigger"], r["channel"], r["recipient"]["address"]) for r in rows) == [
            ("first_day_absence", "app", mum),
            ("first_day_absence", "email", mum),
        ]
