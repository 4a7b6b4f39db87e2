"""The real chain over the session's broker: a mark posted to registers reaches alerts; the alert,
and the pupil's contacts, reach the notifications worker, which puts a message in the parent's feed
(read through the parent API), sends the email to a real SMTP server, and publishes
`attendance.notification.sent`. Each test has fresh databases for all three services."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from notifications_broker_support import published
from notifications_support import auth, new_upn, new_urn

from alerts.settings import Settings as AlertsSettings
from alerts.worker import make_worker as make_alerts_worker
from attendance_common.events.base import NOTIFICATIONS_TOPIC
from attendance_common.migrations import upgrade_database
from attendance_common.testing.plugin import TEST_KAFKA_SETTINGS
from attendance_common.testing.workers import eventually, running
from notifications.main import MIGRATIONS, create_app
from notifications.worker import make_worker as make_notifications_worker
from registers.main import create_app as create_registers_app
from registers.settings import Settings as RegistersSettings
from registers.worker import make_worker as make_registers_worker

pytestmark = pytest.mark.integration
MON = dt.date(2026, 11, 16)
ALERTS_MIGRATIONS = MIGRATIONS.parents[1] / "alerts" / "migrations"


def pupil_body(mum: str) -> dict:
    return {
        "given_name": "Augusta",
        "family_name": "Byron",
        "year_group": "6",
        "start_date": "2025-09-01",
        "characteristics": {"fsm_eligible": False, "sen_status": "N", "has_social_worker": False},
        "social_worker": None,
        "contacts": [
            {
                "contact_id": "c1",
                "name": "Annabella",
                "relationship": "mother",
                "parental_responsibility": True,
                "email": mum,
                "phone": None,
                "priority": 1,
            }
        ],
    }


async def test_an_n_posted_to_registers_becomes_a_feed_message_an_email_and_an_event(
    backend, test_databases, kafka_bootstrap, notifications_settings, smtp
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
    urn, upn = new_urn(), new_upn()
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
        admin = auth("admin")  # registering a school is for admins; its MIS writes the rest
        assert (await registers.put(f"/v1/schools/{urn}", json=school, headers=admin)).status_code == 201
        assert (
            await registers.put(f"/v1/schools/{urn}/pupils/{upn}", json=pupil_body(mum), headers=mis)
        ).status_code == 201
        marks = {"marks": [{"upn": upn, "date": MON.isoformat(), "session": "AM", "code": "N"}]}
        assert (await registers.post(f"/v1/schools/{urn}/marks", json=marks, headers=mis)).status_code == 200

        parent = auth("parent", sub="annabella", email=mum)

        async def feed_message() -> list[dict]:
            return (await app.get("/v1/parent/messages", headers=parent)).json()["messages"]

        tasks = (relay, alerts, notifications)
        (message,) = await eventually(feed_message, what="the parent's app message", tasks=tasks)
        assert (message["kind"], message["upn"]) == ("first_day_absence", upn)
        assert message["title"] == "Augusta was not in school on Monday 16 November"
        assert "Hill Primary" in message["body"]

        async def mailed() -> list:
            return smtp[0].to(mum)

        (mail,) = await eventually(mailed, what="the email at the SMTP server", tasks=tasks)
        assert mail.message["Subject"] == message["title"]

        async def child_marks() -> list[dict]:
            response = await app.get(f"/v1/parent/children/{upn}/attendance", headers=parent)
            return response.json().get("recent_marks", []) if response.status_code == 200 else []

        recent = await eventually(child_marks, what="the mark in the parent's read model", tasks=tasks)
        assert [(m["date"], m["code"]) for m in recent] == [(MON.isoformat(), "N")]

        sent = await published(kafka_bootstrap, NOTIFICATIONS_TOPIC, upn, "attendance.notification.sent")
        assert {s["channel"] for s in sent} <= {"app", "email"} and "app" in {s["channel"] for s in sent}
