"""Notifications' retention (docs/retention.md): messages and the parent feed 2 years (pending ones
until they finish), marks as the register, a deleted pupil with contacts and marks a year after the
deletion; on PostgreSQL and SQLite, with rows just inside and just outside each period."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid

import pytest

from attendance_common.testing.retention import check_schedule, migrated
from notifications.main import MIGRATIONS
from notifications.models import AbsenceReport, Contact, Delivery, Mark, Message, Pupil, Trigger
from notifications.retention import RULES

pytestmark = pytest.mark.integration

NOW = dt.datetime(2031, 3, 15, 12, 0, tzinfo=dt.UTC)
TWO_YEARS = dt.datetime(2029, 3, 15, 12, 0, tzinfo=dt.UTC)
ONE_YEAR_DAY = dt.date(2030, 3, 15)
SIX_YEARS_DAY = dt.date(2025, 3, 15)
SECOND = dt.timedelta(seconds=1)
_ids = itertools.count(1)


def trigger(received_at: dt.datetime) -> Trigger:
    return Trigger(
        key=f"alert:{uuid.uuid4()}",
        kind="persistent_absence",
        event_type="attendance.alert.raised",
        school_urn="100001",
        la_code="380",
        upn="A123456789012",
        event={},
        received_at=received_at,
    )


def delivery(of: Trigger, created_at: dt.datetime, status: str = "sent") -> Delivery:
    return Delivery(
        seq=next(_ids),
        id=str(uuid.uuid4()),
        trigger_key=of.key,
        trigger=of.kind,
        school_urn=of.school_urn,
        la_code=of.la_code,
        upn=of.upn,
        recipient_kind="parent",
        address=f"parent{next(_ids)}@example.com",
        channel="email",
        subject="Attendance",
        body="Your child was absent.",
        status=status,
        created_at=created_at,
    )


def message(of: Trigger, created_at: dt.datetime) -> Message:
    return Message(
        id=next(_ids),
        parent_email=f"parent{next(_ids)}@example.com",
        trigger_key=of.key,
        kind=of.kind,
        school_urn=of.school_urn,
        upn=of.upn,
        title="Attendance",
        body="Your child was absent.",
        created_at=created_at,
    )


def pupil(deleted_on: dt.date | None = None) -> Pupil:
    pupil_id = next(_ids)
    upn = f"A{pupil_id:012d}"
    return Pupil(id=pupil_id, school_urn="100001", upn=upn, given_name="Ada", deleted_on=deleted_on)


def contact(of: Pupil) -> Contact:
    return Contact(
        pupil_id=of.id,
        contact_id="c1",
        name="Parent",
        parental_responsibility=True,
        email="parent@example.com",
        priority=1,
    )


def mark(of: Pupil, date: dt.date) -> Mark:
    return Mark(pupil_id=of.id, date=date, session="AM", code="N")


async def test_messages_two_years_marks_as_the_register_deleted_pupils_a_year(backend, test_databases):
    database = await migrated(test_databases, "notifications_retention", backend, MIGRATIONS)
    old = trigger(TWO_YEARS - SECOND)
    old_still_sending = trigger(TWO_YEARS - SECOND)
    old_with_a_recent_message = trigger(TWO_YEARS - dt.timedelta(days=1))
    recent = trigger(TWO_YEARS + SECOND)
    on_roll = pupil()
    gone = pupil(deleted_on=ONE_YEAR_DAY - dt.timedelta(days=1))
    gone_lately = pupil(deleted_on=ONE_YEAR_DAY)
    try:
        await check_schedule(
            database,
            RULES,
            NOW,
            [
                (old, True),
                (delivery(old, TWO_YEARS - SECOND), True),
                (delivery(old, TWO_YEARS - SECOND, status="failed"), True),
                (message(old, TWO_YEARS - SECOND), True),
                (old_still_sending, False),
                (delivery(old_still_sending, TWO_YEARS - SECOND, status="pending"), False),
                (old_with_a_recent_message, False),
                (message(old_with_a_recent_message, TWO_YEARS + SECOND), False),
                (recent, False),
                (delivery(recent, TWO_YEARS + SECOND), False),
                (message(recent, TWO_YEARS + SECOND), False),
                (on_roll, False),
                (contact(on_roll), False),
                (mark(on_roll, SIX_YEARS_DAY - dt.timedelta(days=1)), True),
                (mark(on_roll, SIX_YEARS_DAY), False),
                (gone, True),
                (contact(gone), True),
                (mark(gone, ONE_YEAR_DAY - dt.timedelta(days=3)), True),
                (gone_lately, False),
                (contact(gone_lately), False),
                (mark(gone_lately, ONE_YEAR_DAY - dt.timedelta(days=3)), False),
            ],
        )
    finally:
        await database.dispose()


def report(last_date: dt.date) -> AbsenceReport:
    return AbsenceReport(
        report_id=str(uuid.uuid4()),
        school_urn="100001",
        upn="A123456789012",
        first_date=last_date - dt.timedelta(days=2),
        first_session="AM",
        last_date=last_date,
        last_session="PM",
        status="accepted",
    )


async def test_a_familys_absence_report_is_kept_two_years_after_its_last_day(backend, test_databases):
    database = await migrated(test_databases, "notifications_retention_reports", backend, MIGRATIONS)
    try:
        await check_schedule(
            database,
            RULES,
            NOW,
            [(report(TWO_YEARS.date() - dt.timedelta(days=1)), True), (report(TWO_YEARS.date()), False)],
        )
    finally:
        await database.dispose()
