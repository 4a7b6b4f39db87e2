"""Helpers for alerts tests (a uniquely named module: every service has a `conftest`)."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Iterable

from sqlalchemy import select

from alerts.models import Alert
from attendance_common.db import Database
from attendance_common.events.base import EventData
from attendance_common.events.envelope import make_event
from attendance_common.events.registers import (
    AmendedMark,
    Characteristics,
    MarksAmended,
    MarksRecorded,
    PupilUpserted,
    RecordedMark,
)
from attendance_common.identifiers import make_upn
from attendance_common.messaging import EventConsumer, Received

_urns = itertools.count(random.randrange(100_000, 800_000, 1_000))
_upns = itertools.count(random.randrange(0, 5_000_000))
NOW = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)


def new_urn() -> str:
    return str(next(_urns))


def new_upn() -> str:
    n = next(_upns)
    return make_upn("801", f"{(n // 1000) % 10_000:04d}", "15", f"{n % 1000:03d}")


def school_days(start: dt.date, count: int, closed: Iterable[dt.date] = ()) -> list[dt.date]:
    """`count` weekdays from `start`, skipping `closed` dates."""
    closed = set(closed)
    days, day = [], start
    while len(days) < count:
        if day.weekday() < 5 and day not in closed:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


class Feed:
    """Applies events to the alerts database through the real consumer path (inbox included)."""

    def __init__(self, consumer: EventConsumer, database: Database, urn: str, la_code: str = "380") -> None:
        self.consumer, self.database, self.urn, self.la_code = consumer, database, urn, la_code
        self.offsets = itertools.count()
        self.sent: list[Received] = []

    async def send(self, data: EventData) -> Received:
        event = make_event(data, source="registers")
        payload = self.consumer.payload(event, None)  # as the consumer reads it from a record
        item = Received(event, payload, data.topic, 0, next(self.offsets), data.key())
        await self.consumer.apply([item])
        self.sent.append(item)
        return item

    async def pupil(self, upn: str, *, social_worker: bool = False) -> None:
        await self.send(
            PupilUpserted(
                school_urn=self.urn,
                la_code=self.la_code,
                upn=upn,
                given_name="Ada",
                family_name="L",
                year_group="6",
                start_date=dt.date(2025, 9, 1),
                characteristics=Characteristics(has_social_worker=social_worker),
            )
        )

    async def marks(self, upn: str, days: Iterable[dt.date], am: str, pm: str | None = None) -> None:
        marks = []
        for day in days:
            marks.append(RecordedMark(upn=upn, date=day, session="AM", code=am, recorded_at=NOW))
            if pm is not None:
                marks.append(RecordedMark(upn=upn, date=day, session="PM", code=pm, recorded_at=NOW))
        await self.send(MarksRecorded(school_urn=self.urn, la_code=self.la_code, marks=marks))

    async def amend(self, upn: str, day: dt.date, session: str, old: str, new: str) -> None:
        await self.send(
            MarksAmended(
                school_urn=self.urn,
                la_code=self.la_code,
                marks=[
                    AmendedMark(
                        upn=upn,
                        date=day,
                        session=session,
                        code=new,
                        previous_code=old,
                        recorded_at=NOW,  # type: ignore[arg-type]
                        changed_by_sub="mis",
                        changed_by_role="mis",
                    )
                ],
            )
        )

    async def alerts(self, upn: str, status: str | None = "open") -> list[Alert]:
        async with self.database.transaction() as session:
            query = select(Alert).where(Alert.upn == upn, Alert.school_urn == self.urn)
            if status:
                query = query.where(Alert.status == status)
            return list(await session.scalars(query.order_by(Alert.raised_at, Alert.type)))

    async def open_types(self, upn: str) -> list[tuple[str, str | None]]:
        return sorted((a.type, a.date.isoformat() if a.date else None) for a in await self.alerts(upn))
