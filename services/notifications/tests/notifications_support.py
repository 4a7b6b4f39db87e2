"""Helpers for notifications tests: events fed through the real consumer path, and read-backs."""

from __future__ import annotations

import datetime as dt
import itertools
import random
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from attendance_common.auth import DEVELOPMENT_JWT_SECRET, mint_token
from attendance_common.db import Database
from attendance_common.events.alerts import AlertCleared, AlertRaised, Evidence, EvidenceMark
from attendance_common.events.base import EventData
from attendance_common.events.casework import CasePupil, ReferralMade
from attendance_common.events.catalog import decode
from attendance_common.events.envelope import CloudEvent, make_event
from attendance_common.events.registers import (
    Characteristics,
    Contact,
    MarksRecorded,
    PupilDeleted,
    PupilUpserted,
    RecordedMark,
    SchoolUpserted,
    SocialWorker,
)
from attendance_common.identifiers import make_upn
from attendance_common.messaging import EventConsumer, Received
from attendance_common.messaging.outbox import OutboxRow
from notifications.models import Delivery, Message

_urns = itertools.count(random.randrange(100_000, 800_000, 1_000))
_upns = itertools.count(random.randrange(0, 5_000_000))
_las = itertools.count(random.randrange(0, 900))
NOW = dt.datetime(2026, 11, 16, 9, 0, tzinfo=dt.UTC)
MON = dt.date(2026, 11, 16)
THREATS = ("fine", "penalt", "prosecut", "court", "legal", "sanction", "£")


def new_urn() -> str:
    return str(next(_urns))


def new_la() -> str:
    """A 3-digit LA code of its own, so one test's webhook subscriptions never see another's pupils."""
    return str(100 + next(_las) % 900)


def new_upn() -> str:
    n = next(_upns)
    return make_upn("801", f"{(n // 1000) % 10_000:04d}", "15", f"{n % 1000:03d}")


def auth(role: str, *, sub: str | None = None, **claims: Any) -> dict[str, str]:
    token = mint_token(secret=DEVELOPMENT_JWT_SECRET, sub=sub or f"{role}-user", role=role, **claims)
    return {"Authorization": f"Bearer {token}"}


def contact(cid: str, name: str, email: str | None, *, pr: bool = True, priority: int = 1, phone=None):
    return Contact(
        contact_id=cid,
        name=name,
        relationship="parent",
        parental_responsibility=pr,
        email=email,
        phone=phone,
        priority=priority,
    )


class Feed:
    """Applies events to the notifications database through the real consumer path (inbox included)."""

    def __init__(self, consumer: EventConsumer, database: Database, urn: str, la_code: str | None = None):
        self.consumer, self.database, self.urn = consumer, database, urn
        self.la_code = la_code or new_la()
        self.offsets = itertools.count()
        self.tag = uuid.uuid4().hex[:8]  # makes this test's addresses unique in the shared database

    def email(self, name: str) -> str:
        return f"{name}-{self.tag}@example.com"

    async def send(self, data: EventData, source: str = "registers") -> Received:
        return await self.deliver(make_event(data, source=source))

    def received(self, data: EventData, source: str = "registers") -> Received:
        """A new event as a fetch brings it (next offset), not applied yet: see `apply_fetch`."""
        event = make_event(data, source=source)
        return Received(
            event, self.consumer.payload(event, None), data.topic, 0, next(self.offsets), data.key()
        )

    async def apply_fetch(self, items: Iterable[Received]) -> None:
        """Apply events as one consumed fetch (one transaction): runs of alerts go to the batch handlers."""
        await self.consumer.apply(list(items))

    async def deliver(self, event: CloudEvent) -> Received:
        """Apply one event (again, if it was delivered before: the inbox decides)."""
        data = decode(event)  # as the consumer's handler takes it: the model, or its reader's view
        item = Received(
            event, self.consumer.payload(event, None), data.topic, 0, next(self.offsets), data.key()
        )
        await self.consumer.apply([item])
        return item

    async def school(self, name: str = "Hill Primary") -> None:
        await self.send(SchoolUpserted(urn=self.urn, name=name, la_code=self.la_code, phase="primary"))

    async def pupil(
        self,
        upn: str,
        contacts: Iterable[Contact] = (),
        *,
        given_name: str = "Ada",
        social_worker_email: str | None = None,
    ) -> None:
        await self.send(
            self.pupil_upserted(upn, contacts, given_name=given_name, social_worker_email=social_worker_email)
        )

    def pupil_upserted(
        self,
        upn: str,
        contacts: Iterable[Contact] = (),
        *,
        given_name: str = "Ada",
        social_worker_email: str | None = None,
    ) -> PupilUpserted:
        worker = SocialWorker(name="Sam Worker", email=social_worker_email) if social_worker_email else None
        return PupilUpserted(
            school_urn=self.urn,
            la_code=self.la_code,
            upn=upn,
            given_name=given_name,
            family_name="Lovelace",
            year_group="6",
            start_date=dt.date(2025, 9, 1),
            characteristics=Characteristics(has_social_worker=worker is not None),
            social_worker=worker,
            contacts=list(contacts),
        )

    def alert(
        self, upn: str, kind: str, *, day: dt.date | None = MON, alert_id: str | None = None, **figures
    ):
        marks = [EvidenceMark(date=day, session="AM", code="N")] if day else []
        return AlertRaised(
            alert_id=alert_id or str(uuid.uuid4()),
            type=kind,  # type: ignore[arg-type]
            school_urn=self.urn,
            la_code=self.la_code,
            upn=upn,
            date=day,
            raised_at=NOW,
            rule_version="2024.1",
            evidence=Evidence(figures=figures, marks=marks),
        )

    async def raise_alert(self, upn: str, kind: str, **kwargs: Any) -> AlertRaised:
        alert = self.alert(upn, kind, **kwargs)
        await self.send(alert, source="alerts")
        return alert

    async def clear_alert(self, alert: AlertRaised) -> None:
        await self.send(cleared(alert), source="alerts")

    async def delete_pupil(self, upn: str, contacts: Iterable[Contact] = (), sw_email: str | None = None):
        await self.send(
            PupilDeleted(
                school_urn=self.urn,
                la_code=self.la_code,
                upn=upn,
                given_name="Ada",
                family_name="Lovelace",
                ground="moved_away",
                date=MON,
                contacts=list(contacts),
                social_worker=SocialWorker(name="Sam Worker", email=sw_email) if sw_email else None,
            )
        )

    async def refer(self, upn: str) -> None:
        pupil = CasePupil(school_urn=self.urn, upn=upn, la_code=self.la_code)
        referral = ReferralMade(
            case_id=str(uuid.uuid4()),
            family_key=f"fam_{self.tag}",
            pupils=[pupil],
            to="local_authority",
            reason="severe_absence",
            upn=upn,
            made_at=NOW,
        )
        await self.send(referral, source="casework")

    async def marks(self, upn: str, days: Iterable[dt.date], am: str, pm: str | None = None) -> None:
        marks = []
        for day in days:
            marks.append(RecordedMark(upn=upn, date=day, session="AM", code=am, recorded_at=NOW))
            if pm is not None:
                marks.append(RecordedMark(upn=upn, date=day, session="PM", code=pm, recorded_at=NOW))
        await self.send(MarksRecorded(school_urn=self.urn, la_code=self.la_code, marks=marks))

    async def deliveries(self, upn: str, **where: str) -> list[Delivery]:
        async with self.database.transaction() as session:
            query = select(Delivery).where(Delivery.upn == upn, Delivery.school_urn == self.urn)
            for column, value in where.items():
                query = query.where(getattr(Delivery, column) == value)
            return list(await session.scalars(query.order_by(Delivery.seq)))

    async def routed(self, upn: str) -> list[tuple[str, str, str, str]]:
        """(recipient kind, address, channel, status) of every delivery about the pupil, sorted."""
        return sorted((d.recipient_kind, d.address, d.channel, d.status) for d in await self.deliveries(upn))

    async def messages(self, upn: str) -> list[Message]:
        async with self.database.transaction() as session:
            query = select(Message).where(Message.upn == upn, Message.school_urn == self.urn)
            return list(await session.scalars(query.order_by(Message.id)))

    async def deliveries_at_school(self) -> list[Delivery]:
        """Every delivery about the feed's school's pupils, in creation order."""
        async with self.database.transaction() as session:
            query = select(Delivery).where(Delivery.school_urn == self.urn).order_by(Delivery.seq)
            return list(await session.scalars(query))

    async def messages_at_school(self) -> list[Message]:
        async with self.database.transaction() as session:
            query = select(Message).where(Message.school_urn == self.urn).order_by(Message.id)
            return list(await session.scalars(query))

    async def outbox(self, upn: str) -> list[OutboxRow]:
        async with self.database.transaction() as session:
            rows = await session.scalars(select(OutboxRow).where(OutboxRow.key == upn).order_by(OutboxRow.id))
            return list(rows)


def cleared(alert: AlertRaised, reason: str = "no N left on the date") -> AlertCleared:
    return AlertCleared(**alert.model_dump(exclude={"evidence"}), cleared_at=NOW, reason=reason)


def school_days(start: dt.date, count: int) -> list[dt.date]:
    days, day = [], start
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days
