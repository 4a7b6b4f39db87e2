"""Helpers for casework tests (a uniquely named module: every service has a `conftest`)."""

from __future__ import annotations

import datetime as dt
import itertools
import random
import uuid
from typing import Any

import httpx
from sqlalchemy import select

from attendance_common.auth import DEVELOPMENT_JWT_SECRET, mint_token
from attendance_common.db import Database
from attendance_common.events.alerts import AlertCleared, AlertRaised
from attendance_common.events.base import EventData
from attendance_common.events.catalog import decode
from attendance_common.events.envelope import make_event
from attendance_common.events.registers import Characteristics, Contact, PupilUpserted
from attendance_common.identifiers import make_upn
from attendance_common.messaging import EventConsumer, Received
from attendance_common.messaging.outbox import OutboxRow

_urns = itertools.count(random.randrange(100_000, 800_000, 1_000))
_upns = itertools.count(random.randrange(0, 5_000_000))
RAISED = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)


def new_urn() -> str:
    return str(next(_urns))


def new_upn() -> str:
    n = next(_upns)
    return make_upn("801", f"{(n // 1000) % 10_000:04d}", "15", f"{n % 1000:03d}")


def new_email() -> str:
    return f"parent-{uuid.uuid4().hex[:10]}@example.com"


def parent(email: str | None, *, contact_id: str = "c1", priority: int = 1, pr: bool = True) -> Contact:
    return Contact(
        contact_id=contact_id,
        name="Annabella Milbanke",
        relationship="mother",
        parental_responsibility=pr,
        email=email,
        priority=priority,
    )


def alert_raised(urn: str, upn: str, kind: str) -> AlertRaised:
    """A new alert as the alerts service publishes it."""
    return AlertRaised(
        alert_id=str(uuid.uuid4()),
        type=kind,
        school_urn=urn,
        la_code="380",
        upn=upn,
        raised_at=RAISED,
        rule_version="2024.1",
    )


class Feed:
    """Applies events to the casework database through the real consumer path (inbox included)."""

    def __init__(self, consumer: EventConsumer, database: Database) -> None:
        self.consumer, self.database = consumer, database
        self.offsets = itertools.count()

    def received(self, data: EventData, source: str) -> Received:
        event = make_event(data, source=source)
        return Received(event, decode(event), data.topic, 0, next(self.offsets), data.key())

    async def send(self, data: EventData, source: str = "registers") -> Received:
        item = self.received(data, source)
        await self.consumer.apply([item])
        return item

    async def send_run(self, *datas: EventData, source: str = "alerts") -> None:
        """Events fetched together, applied in one transaction (consecutive alike ones as one run)."""
        await self.consumer.apply([self.received(data, source) for data in datas])

    async def redeliver(self, item: Received) -> None:
        """The same event (same id) again, as Kafka does after a crash before the offset commit."""
        await self.consumer.apply([item])

    async def pupil(
        self, urn: str, upn: str, *contacts: Contact, email: str | None = None, la_code: str = "380"
    ) -> None:
        """A pupil upsert; `email` is shorthand for one priority-1 parent with responsibility."""
        if email is not None:
            contacts = (parent(email), *contacts)
        await self.send(
            PupilUpserted(
                school_urn=urn,
                la_code=la_code,
                upn=upn,
                given_name="Ada",
                family_name="Lovelace",
                year_group="6",
                start_date=dt.date(2025, 9, 1),
                characteristics=Characteristics(),
                contacts=list(contacts),
            )
        )

    def raised(self, urn: str, upn: str, kind: str) -> AlertRaised:
        return alert_raised(urn, upn, kind)

    async def alert(self, urn: str, upn: str, kind: str) -> AlertRaised:
        data = self.raised(urn, upn, kind)
        await self.send(data, source="alerts")
        return data

    async def clear(self, raised: AlertRaised) -> None:
        await self.send(
            AlertCleared(
                **raised.model_dump(exclude={"evidence"}),
                cleared_at=RAISED + dt.timedelta(days=3),
                reason="amended",
            ),
            source="alerts",
        )

    async def outbox(self, case_id: str) -> list[OutboxRow]:
        """Events staged for the case, in publication order."""
        async with self.database.transaction() as session:
            rows = await session.scalars(
                select(OutboxRow).where(OutboxRow.subject == case_id).order_by(OutboxRow.id)
            )
            return list(rows)


def auth(role: str, *, sub: str | None = None, **claims: Any) -> dict[str, str]:
    token = mint_token(secret=DEVELOPMENT_JWT_SECRET, sub=sub or f"{role}-user", role=role, **claims)
    return {"Authorization": f"Bearer {token}"}


def admin() -> dict[str, str]:
    return auth("admin", name="Ada Admin")


def staff(*urns: str) -> dict[str, str]:
    return auth("school_staff", sub=f"staff-{urns[0]}", schools=list(urns), name="Head of Year")


def la_officer(la: str = "380") -> dict[str, str]:
    return auth("la_officer", sub=f"la-{la}", la=la, name="Education Welfare Officer")


async def cases_of(client: httpx.AsyncClient, upn: str, **params: str) -> list[dict[str, Any]]:
    """The cases listing a pupil, as an admin sees them."""
    response = await client.get("/v1/cases", params={"upn": upn, **params}, headers=admin())
    assert response.status_code == 200, response.text
    return response.json()["cases"]


async def only_case(client: httpx.AsyncClient, upn: str) -> dict[str, Any]:
    (case,) = await cases_of(client, upn, status="open")
    return case


def members(case: dict[str, Any]) -> set[tuple[str, str]]:
    return {(p["school_urn"], p["upn"]) for p in case["pupils"]}
