"""The real chain over the session's broker: a mark posted to registers reaches alerts; the alert,
and the pupil's contacts, reach the notifications worker, which puts a message in the parent's feed
(read through the parent API), sends the email to a real SMTP server, and publishes
`attendance.notification.sent`. Each test has fresh databases for all three services."""

from __future__ import annotations

import datetime as dt

import pytest
from chain_support import registers_to_parents
from notifications_broker_support import published
from notifications_support import auth, new_upn, new_urn

from attendance_common.events.base import NOTIFICATIONS_TOPIC
from attendance_common.testing.workers import eventually

pytestmark = pytest.mark.integration
MON = dt.date(2026, 11, 16)


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
    urn, upn = new_urn(), new_upn()
    mum = f"annabella-{urn}@example.com"
    async with registers_to_parents(backend, test_databases, kafka_bootstrap, notifications_settings) as (
        registers,
        app,
        tasks,
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
