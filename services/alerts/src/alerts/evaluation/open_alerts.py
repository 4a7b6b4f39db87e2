"""The open alerts an evaluation reads, and the raises and clears it writes, in bulk.

A busy morning raises an alert for one mark in twenty: ORM objects and one outbox row each at a
time cost more than the rules. Raises and clears are kept here and written in three statements.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from alerts.models import Alert
from attendance_common.bulk import any_of, driver_connection, upsert_rows
from attendance_common.events.alerts import AlertCleared, AlertRaised, Evidence
from attendance_common.events.base import EventData
from attendance_common.messaging import add_events

SOURCE = "alerts"
_FIELDS = ("id", "type", "pupil_id", "school_urn", "la_code", "upn", "date", "raised_at", "rule_version")


@dataclass
class OpenAlert:
    id: str
    type: str
    pupil_id: int
    school_urn: str
    la_code: str | None
    upn: str
    date: dt.date | None
    raised_at: dt.datetime
    rule_version: str
    evidence: dict[str, Any]

    @property
    def key(self) -> tuple[int, str, str]:
        return (self.pupil_id, self.type, self.date.isoformat() if self.date else "-")

    def event_fields(self) -> dict[str, Any]:
        """What its raised and cleared events both say of the alert."""
        return {
            "alert_id": self.id,
            "type": self.type,
            "school_urn": self.school_urn,
            "la_code": self.la_code,
            "upn": self.upn,
            "date": self.date,
            "raised_at": self.raised_at,
            "rule_version": self.rule_version,
        }


@dataclass
class Ledger:
    """Open alerts by (pupil, type, date key) for the pupils loaded; changes kept until `write`."""

    session: AsyncSession
    now: dt.datetime
    # The per-date alerts loaded are those of these dates (all if None): a batch judges only its
    # own dates, and a pupil's first-day alerts of other days pile up over a term.
    dates: frozenset[dt.date] | None = None
    open: dict[tuple[int, str, str], OpenAlert] = field(default_factory=dict)
    loaded: set[int] = field(default_factory=set)
    raised: dict[str, OpenAlert] = field(default_factory=dict)  # by id, in order
    cleared: dict[str, str] = field(default_factory=dict)  # id -> reason, in order
    events: list[EventData] = field(default_factory=list)

    async def load(self, pupil_ids: Iterable[int]) -> None:
        ids = [pid for pid in pupil_ids if pid not in self.loaded]
        if not ids:
            return
        pg = await driver_connection(self.session)
        if pg is not None:  # plain rows: a morning loads a few dozen per school
            sql = (
                f"SELECT {', '.join(_FIELDS)}, evidence FROM alerts "
                "WHERE pupil_id = ANY($1::bigint[]) AND status = 'open'"
            )
            if self.dates is None:
                rows = await pg.fetch(sql, ids)
            else:
                on_dates = " AND (date IS NULL OR date = ANY($2::date[]))"
                rows = await pg.fetch(sql + on_dates, ids, sorted(self.dates))
            alerts = [OpenAlert(**dict(row)) for row in rows]  # JSON decoded by the engine's codec
        else:
            columns = [getattr(Alert, name) for name in (*_FIELDS, "evidence")]
            dialect = self.session.get_bind().dialect.name
            query = select(*columns).where(any_of(Alert.pupil_id, ids, dialect), Alert.status == "open")
            if self.dates is not None:
                query = query.where(
                    or_(Alert.date.is_(None), any_of(Alert.date, sorted(self.dates), dialect))
                )
            alerts = [OpenAlert(**row._mapping) for row in await self.session.execute(query)]
        self.open.update({alert.key: alert for alert in alerts})
        self.loaded.update(ids)

    def add(self, alert: OpenAlert) -> None:
        self.open[alert.key] = alert
        self.raised[alert.id] = alert
        self.events.append(
            AlertRaised(**alert.event_fields(), evidence=Evidence.model_validate(alert.evidence))
        )

    def clear(self, alert: OpenAlert, reason: str) -> None:
        del self.open[alert.key]
        self.cleared[alert.id] = reason
        self.events.append(AlertCleared(**alert.event_fields(), cleared_at=self.now, reason=reason))

    async def write(self) -> None:
        """New alerts, then clears, then their events in the order they happened."""
        if self.raised:
            rows = [
                {
                    **{name: getattr(alert, name) for name in _FIELDS},
                    "evidence": alert.evidence,
                    "date_key": alert.key[2],
                    # Raised and cleared within one evaluation: stored cleared, both events sent.
                    "status": "cleared" if alert.id in self.cleared else "open",
                    "cleared_at": self.now if alert.id in self.cleared else None,
                }
                for alert in self.raised.values()
            ]
            await upsert_rows(self.session, Alert, rows, key=("id",))
        earlier = [alert_id for alert_id in self.cleared if alert_id not in self.raised]
        if earlier:
            dialect = self.session.get_bind().dialect.name
            await self.session.execute(
                update(Alert)
                .where(any_of(Alert.id, earlier, dialect))
                .values(status="cleared", cleared_at=self.now)
                .execution_options(synchronize_session=False)
            )
        await add_events(self.session, self.events, source=SOURCE)
        self.raised, self.cleared, self.events = {}, {}, []
