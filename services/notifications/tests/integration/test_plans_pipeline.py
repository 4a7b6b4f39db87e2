"""Plans and meetings over the session's broker, with the real workers: a severe-absence alert opens
the family's case in casework, which lacks a joint plan and is in the LA's pack; the plan agreed
through casework's API is published on `attendance.cases`; the notifications worker tells the
parent and shows the plan in the parent app; a meeting recorded is published. Fresh databases."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from notifications_support import auth, new_upn, new_urn

from attendance_common.clock import today_in_london
from attendance_common.events.alerts import AlertRaised
from attendance_common.events.base import CASES_TOPIC, EventData
from attendance_common.events.envelope import make_event
from attendance_common.events.registers import Characteristics, Contact, PupilUpserted, SchoolUpserted
from attendance_common.messaging.kafka import ensure_topics, make_producer
from attendance_common.migrations import upgrade_database
from attendance_common.testing.plugin import TEST_KAFKA_SETTINGS
from attendance_common.testing.workers import eventually, running, skip_to_end
from casework.main import MIGRATIONS as CASEWORK_MIGRATIONS
from casework.main import create_app as create_casework_app
from casework.settings import Settings as CaseworkSettings
from casework.worker import make_worker as make_casework_worker
from notifications.main import MIGRATIONS, create_app
from notifications.worker import make_worker as make_notifications_worker

pytestmark = pytest.mark.integration


async def publish(settings: Any, *items: tuple[EventData, str]) -> None:
    await ensure_topics(settings)
    producer = make_producer(settings)
    await producer.start()
    try:
        for data, source in items:
            headers, value = make_event(data, source=source).to_kafka()
            await producer.send_and_wait(data.topic, value=value, key=data.key().encode(), headers=headers)
    finally:
        await producer.stop()


async def published(bootstrap: str, key: str, event_type: str, timeout: float = 30) -> dict[str, Any]:
    """The first record of `event_type` with this key on `attendance.cases`, from the start."""
    consumer = AIOKafkaConsumer(
        CASES_TOPIC, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    try:
        async with asyncio.timeout(timeout):
            while True:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    for r in records:
                        if r.key == key.encode() and dict(r.headers)["ce_type"] == event_type.encode():
                            return json.loads(r.value)
    finally:
        await consumer.stop()


async def test_a_plan_agreed_in_casework_reaches_the_parent_app_and_a_meeting_is_published(
    backend, test_databases, kafka_bootstrap, notifications_settings
):
    def fresh(label: str, migrations) -> str:
        url = test_databases.create(label, backend=backend)
        upgrade_database(migrations, url)
        return url

    casework_settings = CaseworkSettings(
        database_url=fresh("casework", CASEWORK_MIGRATIONS),
        kafka_bootstrap_servers=kafka_bootstrap,
        **TEST_KAFKA_SETTINGS,
    )
    settings = notifications_settings.model_copy(
        update={"database_url": fresh("notifications", MIGRATIONS), "delivery_poll_seconds": 0.05}
    )
    urn, upn = new_urn(), new_upn()
    mum = f"mum-{uuid.uuid4().hex[:8]}@example.com"
    pupil = PupilUpserted(
        school_urn=urn,
        la_code="380",
        upn=upn,
        given_name="Augusta",
        family_name="Byron",
        year_group="6",
        start_date=dt.date(2025, 9, 1),
        characteristics=Characteristics(),
        contacts=[
            Contact(
                contact_id="c1",
                name="Annabella",
                relationship="mother",
                parental_responsibility=True,
                email=mum,
                priority=1,
            )
        ],
    )
    severe = AlertRaised(
        alert_id=str(uuid.uuid4()),
        type="severe_absence",
        school_urn=urn,
        la_code="380",
        upn=upn,
        raised_at=dt.datetime.now(dt.UTC),
        rule_version="2024.1",
    )
    workers = make_casework_worker(casework_settings), make_notifications_worker(settings)
    for worker in workers:
        await skip_to_end(worker)  # other tests' events are not this test's to wait for
    await publish(
        casework_settings,
        (SchoolUpserted(urn=urn, name="Hill Primary", la_code="380", phase="primary"), "registers"),
        (pupil, "registers"),
    )
    officer, parent = auth("la_officer", sub="la-380", la="380"), auth("parent", sub="mum", email=mum)
    casework_app, notifications_app = create_casework_app(casework_settings), create_app(settings)
    async with (
        casework_app.router.lifespan_context(casework_app),
        notifications_app.router.lifespan_context(notifications_app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=casework_app), base_url="http://c") as casework,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=notifications_app), base_url="http://n") as app,
        running(workers[0]) as casework_worker,
        running(workers[1]) as notifications_worker,
    ):
        tasks = (casework_worker, notifications_worker)

        async def children() -> list[dict]:
            return (await app.get("/v1/parent/children", headers=parent)).json()["children"]

        await eventually(children, what="the pupil in notifications", tasks=tasks)
        await publish(casework_settings, (severe, "alerts"))

        async def lacking_joint_plan() -> list[dict]:
            params = {"missing_joint_plan": "true", "upn": upn}
            return (await casework.get("/v1/cases", params=params, headers=officer)).json()["cases"]

        (case,) = await eventually(lacking_joint_plan, what="the case lacking a joint plan", tasks=tasks)
        pack = await casework.get(f"/v1/las/380/support-meetings/pack?school={urn}", headers=officer)
        assert [(p["upn"], p["case"]["id"]) for p in pack.json()["pupils"]] == [(upn, case["id"])]

        body = {
            "kind": "joint_school_la",
            "lead": {"name": "Sam Patel", "role": "Attendance officer", "email": "sam@la.example"},
            "targets": [{"description": "In school every Monday"}],
            "review_on": (today_in_london() + dt.timedelta(days=28)).isoformat(),
            "agreed_with_family": True,
        }
        answer = await casework.post(f"/v1/cases/{case['id']}/plans", json=body, headers=officer)
        assert answer.status_code == 201, answer.text
        plan = answer.json()
        assert await lacking_joint_plan() == []

        async def parent_plans() -> list[dict]:
            return (await app.get("/v1/parent/plans", headers=parent)).json()["plans"]

        (shown,) = await eventually(parent_plans, what="the plan in the parent app", tasks=tasks)
        assert (shown["id"], shown["upn"], shown["lead"]) == (
            plan["id"],
            upn,
            {"name": "Sam Patel", "role": "Attendance officer"},
        )

        async def told() -> list[dict]:
            messages = (await app.get("/v1/parent/messages", headers=parent)).json()["messages"]
            return [m for m in messages if m["kind"] == "plan_agreed"]

        (message,) = await eventually(told, what="the plan_agreed message", tasks=tasks)
        assert message["upn"] == upn

        meeting = {
            "school_urn": urn,
            "held_on": today_in_london().isoformat(),
            "attendees": [{"name": "Sam Patel", "role": "Attendance officer"}],
            "agreed": [
                {"case_id": case["id"], "action": "Home visit", "owner": "Sam Patel", "due_on": "2099-01-01"}
            ],
        }
        held = await casework.post("/v1/las/380/support-meetings", json=meeting, headers=officer)
        assert held.status_code == 201, held.text
        event = await published(kafka_bootstrap, urn, "attendance.support_meeting.held")
        assert (event["meeting_id"], event["agreed"][0]["case_id"]) == (held.json()["id"], case["id"])
