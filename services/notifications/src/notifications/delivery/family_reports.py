"""Families' absence reports (`attendance.requests`): a parent who has told the school is not chased.

A first-day-absence contact to parents for sessions a `submitted` or `accepted` report covers is
recorded `skipped` with error `reported_by_parent` instead of being sent (api.md "Families report
absences"). A report that arrives later stops what is still waiting to go; what was sent stays sent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.bulk import any_of, upsert_rows
from attendance_common.events.requests import (
    AbsenceReportDecided,
    AbsenceReportSubmitted,
    AbsenceReportWithdrawn,
)
from attendance_common.metrics import NOTIFICATIONS, count_on_commit
from notifications.delivery.deliveries import NewDeliveries
from notifications.delivery.recipients import Parent, TriggerRow
from notifications.delivery.templates import Text
from notifications.models import AbsenceReport, Delivery, Trigger

REPORTED_BY_PARENT = "reported_by_parent"
FIRST_DAY = "first_day_absence"
COVERING = ("submitted", "accepted")  # a declined or withdrawn report explains nothing
_ORDER = {"AM": 0, "PM": 1}

Slot = tuple[dt.date, str]
ReportEvent = AbsenceReportSubmitted | AbsenceReportDecided | AbsenceReportWithdrawn


def status_after(data: ReportEvent) -> str:
    if isinstance(data, AbsenceReportDecided):
        return data.outcome
    return "withdrawn" if isinstance(data, AbsenceReportWithdrawn) else "submitted"


async def apply_report(session: AsyncSession, data: ReportEvent) -> None:
    """Keep the report's span and status; once it explains an absence, stop first-day contacts to
    parents still waiting to go for the sessions it covers."""
    status = status_after(data)
    row = {
        "report_id": data.report_id,
        "school_urn": data.school_urn,
        "upn": data.upn,
        "first_date": data.first_date,
        "first_session": data.first_session,
        "last_date": data.last_date,
        "last_session": data.last_session,
        "status": status,
    }
    await upsert_rows(session, AbsenceReport, [row], key=("report_id",), replace=tuple(row)[1:])
    if status in COVERING:
        await _suppress_waiting(session, data)


async def covered(session: AsyncSession, triggers: Sequence[TriggerRow]) -> set[str]:
    """The keys of those first-day-absence triggers whose absent sessions a submitted or accepted
    report of the pupil covers: one query for them all."""
    wanted = {t.key: (t, slots_of(t.event)) for t in triggers if t.kind == FIRST_DAY}
    if not wanted:
        return set()
    dialect = (await session.connection()).dialect.name
    first_day = min(slot[0] for _, slots in wanted.values() for slot in slots)
    rows = await session.execute(
        select(*_SPAN, AbsenceReport.school_urn, AbsenceReport.upn).where(
            any_of(AbsenceReport.school_urn, sorted({t.school_urn for t, _ in wanted.values()}), dialect),
            any_of(AbsenceReport.upn, sorted({t.upn for t, _ in wanted.values()}), dialect),
            AbsenceReport.status.in_(COVERING),
            AbsenceReport.last_date >= first_day,
        )
    )
    spans: dict[tuple[str, str], list[Any]] = {}
    for row in rows:
        spans.setdefault((row.school_urn, row.upn), []).append(row)
    return {
        key
        for key, (trigger, slots) in wanted.items()
        if _all_covered(spans.get((trigger.school_urn, trigger.upn), []), slots)
    }


def slots_of(event: dict[str, Any]) -> list[Slot]:
    """The sessions a first-day alert is about: its date's `N` sessions in the evidence (the whole
    day when the evidence names none)."""
    data = event.get("data") or {}
    day = dt.date.fromisoformat(data["date"])
    marks = (data.get("evidence") or {}).get("marks") or []
    sessions = {m["session"] for m in marks if m.get("date") == day.isoformat() and m.get("code") == "N"}
    return [(day, session) for session in sorted(sessions or _ORDER, key=_ORDER.__getitem__)]


def _all_covered(spans: Iterable[Any], slots: Sequence[Slot]) -> bool:
    spans = list(spans)
    return all(any(_covers(span, slot) for span in spans) for slot in slots)


def _covers(span: Any, slot: Slot) -> bool:
    first = (span.first_date, _ORDER[span.first_session])
    last = (span.last_date, _ORDER[span.last_session])
    return first <= (slot[0], _ORDER[slot[1]]) <= last


_SPAN = (
    AbsenceReport.first_date,
    AbsenceReport.first_session,
    AbsenceReport.last_date,
    AbsenceReport.last_session,
)


async def _suppress_waiting(session: AsyncSession, report: ReportEvent) -> None:
    """The pupil's first-day contacts to parents not yet sent, for sessions this report covers, are
    not sent now. App messages went at once and stay in the feed."""
    rows = await session.execute(
        select(Trigger.key, Trigger.event).where(
            Trigger.school_urn == report.school_urn,
            Trigger.upn == report.upn,
            Trigger.kind == FIRST_DAY,
            Trigger.cleared_at.is_(None),
        )
    )
    keys = [key for key, event in rows if _all_covered([report], slots_of(event))]
    if not keys:
        return
    skipped = await session.execute(
        update(Delivery)
        .where(
            Delivery.trigger_key.in_(keys),
            Delivery.recipient_kind == "parent",
            Delivery.status == "pending",
            Delivery.sending_at.is_(None),  # one being sent now may already have gone: it is let be
        )
        .values(status="skipped", error=REPORTED_BY_PARENT, next_attempt_at=None)
        .returning(Delivery.channel)
        .execution_options(synchronize_session=False)
    )
    for channel in skipped.scalars().all():
        count_on_commit(session.sync_session, NOTIFICATIONS, channel, "skipped")


def record_not_sent(new: NewDeliveries, parent: Parent, channels: Sequence[str], text: Text) -> None:
    """What the parent would have been sent, recorded as not sent: they told the school already."""
    for channel in ("app", "email", "sms"):
        address = parent.phone if channel == "sms" else parent.email
        if address and channel in channels:
            new.to_parent(
                parent.name,
                address,
                channel,
                text.title,
                text.body,
                status="skipped",
                error=REPORTED_BY_PARENT,
            )
