"""A catch-up through the real chain over the session's broker: four weeks-old Ns posted to
registers in one batch raise four first-day alerts, and the parent gets one message listing the
four dates (api.md Part 2 "Parents are not flooded"), one delivery per channel in the log."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from notifications_support import auth, new_upn, new_urn

from alerts.settings import Settings as AlertsSettings
from alerts.worker import make_worker as make_alerts_worker
from attendance_common.clock import today_in_london
from attendance_common.migrations import upgrade_database
from attendance_common.testing.plugin import TEST_KAFKA_SETTINGS
from attendance_common.testing.workers import eventually, running
from notifications.delivery.templates import long_date
from notifications.main import MIGRATIONS, create_app
from notifications.worker import make_worker as make_notifications_worker
from registers.main import create_app as create_registers_app
from registers.settings import Settings as RegistersSettings
from registers.worker import make_worker as make_registers_worker

pytestmark = pytest.mark.integration
ALERTS_MIGRATIONS = MIGRATIONS.parents[1] / "alerts" / "migrations"


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
    def fresh(label: str, migrations=None) -> str:
        url = test_databases.create(label, backend=backend)
        if migrations:
            upgrade_database(migrations, url)
        return url

    common = {"kafka_bootstrap_servers": kafka_bootstrap, **TEST_KAFKA_SETTINGS}
    registers_settings = RegistersSettings(database_url=fresh("registers"), **common)
    alerts_settings = AlertsSettings(database_url=fresh("alerts", ALERTS_MIGRATIONS), **common)
    settings = notifications_settings.model_copy(
        update={"database_url": fresh("notifications", MIGRATIONS), "delivery_poll_seconds": 0.05}
    )
    urn, upn, days = new_urn(), new_upn(), old_weekdays(4)
    mum = f"annabella-{urn}@example.com"
    registers_app, notifications_app = create_registers_app(registers_settings), create_app(settings)
    async with (
        registers_app.router.lifespan_context(registers_app),
        notifications_app.router.lifespan_context(notifications_app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=registers_app), base_url="http://r") as registers,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=notifications_app), base_url="http://n") as app,
        running(make_registers_worker(registers_settings), from_now=True) as relay,
        running(make_alerts_worker(alerts_settings), from_now=True) as alerts,
        running(make_notifications_worker(settings), from_now=True) as notifications,
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
        tasks = (relay, alerts, notifications)

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
