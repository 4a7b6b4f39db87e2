"""The real chain over the session's broker (architecture.md): a mark posted to the registers API
goes through its outbox and relay to `attendance.marks`; the alerts worker consumes it, raises or
clears the alert in its own database, and its relay publishes that on `attendance.alerts`.

Each test has fresh databases for both services; the broker's topics hold other tests' events,
so everything is looked up by this test's URN and UPN.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from alerts_api_support import auth
from alerts_broker_support import TopicReader, alerts_in, fresh_alerts_settings
from alerts_support import new_upn, new_urn

from alerts.models import Alert
from alerts.worker import make_worker as make_alerts_worker
from attendance_common.db import Database
from attendance_common.events.base import ALERTS_TOPIC
from attendance_common.testing.plugin import TEST_KAFKA_SETTINGS
from attendance_common.testing.workers import eventually, running
from registers.main import create_app as create_registers_app
from registers.settings import Settings as RegistersSettings
from registers.worker import make_worker as make_registers_worker

pytestmark = pytest.mark.integration
MON = dt.date(2026, 11, 16)
# api.md "Webhooks": alert events carry thin data; `evidence` (figures and marks) is all they add.
THIN_FIELDS = {"alert_id", "type", "school_urn", "la_code", "upn", "date", "raised_at", "rule_version"}


@dataclass
class Chain:
    registers: httpx.AsyncClient
    alerts: Database
    bootstrap: str
    urn: str
    upn: str
    tasks: tuple
    secrets: tuple[str, ...]  # names and contact details registers holds that alerts must never publish

    async def post_mark(self, code: str) -> dict:
        mis = auth("mis", sub=f"mis-{self.urn}", schools=[self.urn])
        body = {"marks": [{"upn": self.upn, "date": MON.isoformat(), "session": "AM", "code": code}]}
        response = await self.registers.post(f"/v1/schools/{self.urn}/marks", json=body, headers=mis)
        assert response.status_code == 200, response.text
        return response.json()

    async def alert(self, status: str) -> Alert:
        async def found() -> list[Alert]:
            return await alerts_in(self.alerts, urn=self.urn, status=status)

        (alert,) = await eventually(found, what=f"a {status} alert for {self.upn}", tasks=self.tasks)
        return alert


def pupil_body(urn: str) -> dict:
    return {
        "given_name": "Augusta",
        "family_name": f"Byron{urn}",
        "date_of_birth": "2015-12-10",
        "year_group": "6",
        "start_date": "2025-09-01",
        "characteristics": {"fsm_eligible": True, "sen_status": "K", "has_social_worker": False},
        "social_worker": {"name": "Samira Caseworker", "email": f"samira-{urn}@la.example", "phone": None},
        "contacts": [
            {
                "contact_id": "c1",
                "name": "Annabella Milbanke",
                "relationship": "mother",
                "parental_responsibility": True,
                "email": f"annabella-{urn}@example.com",
                "phone": "07700900123",
                "priority": 1,
            }
        ],
    }


@pytest.fixture
async def chain(backend, test_databases, kafka_bootstrap) -> AsyncIterator[Chain]:
    alerts_settings = fresh_alerts_settings(test_databases, backend, kafka_bootstrap)
    registers_settings = RegistersSettings(
        database_url=test_databases.create("registers", backend=backend),
        kafka_bootstrap_servers=kafka_bootstrap,
        **TEST_KAFKA_SETTINGS,
    )
    urn, upn = new_urn(), new_upn()
    app = create_registers_app(registers_settings)
    alerts_database = Database(alerts_settings.resolved_database_url)
    transport = httpx.ASGITransport(app=app)
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://registers") as registers,
            running(make_registers_worker(registers_settings)) as relay,
            running(make_alerts_worker(alerts_settings)) as consumer,
        ):
            mis = auth("mis", sub=f"mis-{urn}", schools=[urn])
            school = {"name": "Hill Primary", "la_code": "380", "phase": "primary"}
            admin = auth("admin")  # registering a school is for admins; its MIS writes the rest
            assert (await registers.put(f"/v1/schools/{urn}", json=school, headers=admin)).status_code == 201
            pupil = await registers.put(f"/v1/schools/{urn}/pupils/{upn}", json=pupil_body(urn), headers=mis)
            assert pupil.status_code == 201, pupil.text
            secrets = ("Augusta", f"Byron{urn}", "Annabella", "Milbanke", "Samira", "07700900123", "@")
            yield Chain(registers, alerts_database, kafka_bootstrap, urn, upn, (relay, consumer), secrets)
    finally:
        await alerts_database.dispose()


async def test_an_n_posted_to_registers_raises_first_day_absence(chain):
    await chain.post_mark("N")
    alert = await chain.alert("open")
    assert (alert.type, alert.upn, alert.date, alert.la_code) == ("first_day_absence", chain.upn, MON, "380")


async def test_the_raised_alert_is_published_keyed_by_upn_without_names_or_contacts(chain):
    await chain.post_mark("N")
    alert = await chain.alert("open")
    async with TopicReader(chain.bootstrap, ALERTS_TOPIC, chain.upn) as reader:
        raised = await reader.until("attendance.alert.raised")
    assert raised.key == chain.upn.encode()
    assert raised.headers["ce_subject"] == chain.upn.encode()
    assert raised.headers["ce_source"] == b"alerts"
    data = raised.data
    assert set(data) <= THIN_FIELDS | {"evidence"}
    assert (data["alert_id"], data["type"], data["school_urn"], data["upn"], data["date"]) == (
        alert.id,
        "first_day_absence",
        chain.urn,
        chain.upn,
        MON.isoformat(),
    )
    published = raised.value.decode() + repr(raised.headers)
    assert [s for s in chain.secrets if s in published] == []


async def test_amending_n_to_i_through_registers_clears_the_alert(chain):
    await chain.post_mark("N")
    raised = await chain.alert("open")
    assert (await chain.post_mark("I"))["amended"] == 1
    cleared = await chain.alert("cleared")
    assert cleared.id == raised.id
    assert cleared.cleared_at is not None
    assert await alerts_in(chain.alerts, urn=chain.urn, status="open") == []


async def test_the_cleared_alert_is_published_after_the_raised_one(chain):
    await chain.post_mark("N")
    alert = await chain.alert("open")
    await chain.post_mark("I")
    await chain.alert("cleared")
    async with TopicReader(chain.bootstrap, ALERTS_TOPIC, chain.upn) as reader:
        cleared = await reader.until("attendance.alert.cleared")
        types = [r.type for r in reader.records]
    assert cleared.key == chain.upn.encode()
    assert (cleared.data["alert_id"], cleared.data["type"]) == (alert.id, "first_day_absence")
    assert types.index("attendance.alert.raised") < types.index("attendance.alert.cleared")
    published = cleared.value.decode() + repr(cleared.headers)
    assert [s for s in chain.secrets if s in published] == []
