"""Registers' retention (docs/retention.md): register entries 6 years, on PostgreSQL and SQLite, with
rows just inside and just outside each period."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid

import pytest

from attendance_common.testing.retention import check_schedule, migrated
from registers.main import MIGRATIONS
from registers.models import AbsenceReport, LeaveRequest, Mark, MarkChange, MarkMonthCount, Pupil, School
from registers.retention import RULES

pytestmark = pytest.mark.integration

NOW = dt.datetime(2031, 3, 15, 12, 0, tzinfo=dt.UTC)
SIX_YEARS = dt.datetime(2025, 3, 15, 12, 0, tzinfo=dt.UTC)  # NOW less 6 years
DAY = dt.date(2025, 3, 15)  # the same, as a school day
SECOND = dt.timedelta(seconds=1)
_ids = itertools.count(1)


def pupil(school: str, deleted_on: dt.date | None = None) -> Pupil:
    pupil_id = next(_ids)
    return Pupil(
        id=pupil_id,
        school_urn=school,
        upn=f"A{pupil_id:012d}",
        given_name="Ada",
        family_name="Lovelace",
        year_group="5",
        start_date=dt.date(2020, 9, 1),
        contacts=[],
        deleted_on=deleted_on,
        updated_at=SIX_YEARS,
    )


def mark(of: Pupil, date: dt.date, recorded_at: dt.datetime, session: str = "AM") -> Mark:
    return Mark(
        id=next(_ids),
        pupil_id=of.id,
        date=date,
        session=session,
        code="/",
        recorded_at=recorded_at,
        recorded_by_sub="mis",
        recorded_by_role="mis",
    )


def change(of: Mark, at: dt.datetime) -> MarkChange:
    return MarkChange(
        id=next(_ids),
        mark_id=of.id,
        code="I",
        previous_code="N",
        reason="note from home",
        changed_at=at,
        changed_by_sub="staff",
        changed_by_role="school_staff",
    )


def month(of: Pupil, first_day: dt.date) -> MarkMonthCount:
    return MarkMonthCount(pupil_id=of.id, month=first_day, present=10)


async def test_register_entries_are_kept_six_years_and_no_longer(backend, test_databases):
    database = await migrated(test_databases, "registers_retention", backend, MIGRATIONS)
    school = School(urn="100001", name="Hill Primary", la_code="380", updated_at=SIX_YEARS)
    on_roll = pupil("100001")
    gone = pupil("100001", deleted_on=DAY - dt.timedelta(days=1))  # deleted just over 6 years ago
    gone_lately = pupil("100001", deleted_on=DAY)  # just under
    old = mark(on_roll, DAY - dt.timedelta(days=1), SIX_YEARS - SECOND)
    session_inside = mark(on_roll, DAY, SIX_YEARS - SECOND)
    recorded_inside = mark(on_roll, DAY - dt.timedelta(days=1), SIX_YEARS + SECOND, session="PM")
    amended_inside = mark(on_roll, dt.date(2025, 1, 10), SIX_YEARS - dt.timedelta(days=60))
    amended_outside = mark(on_roll, dt.date(2025, 1, 13), SIX_YEARS - dt.timedelta(days=60))
    gone_mark = mark(gone, dt.date(2025, 1, 6), SIX_YEARS - dt.timedelta(days=60))
    try:
        await check_schedule(
            database,
            RULES,
            NOW,
            [
                (school, False),
                (on_roll, False),
                (gone, True),
                (gone_lately, False),
                (old, True),
                (session_inside, False),
                (recorded_inside, False),
                (amended_inside, False),
                (change(amended_inside, SIX_YEARS - dt.timedelta(days=30)), False),  # goes with its mark
                (change(amended_inside, SIX_YEARS + SECOND), False),
                (amended_outside, True),
                (change(amended_outside, SIX_YEARS - SECOND), True),
                (gone_mark, True),
                (change(gone_mark, SIX_YEARS - dt.timedelta(days=59)), True),
                (month(on_roll, dt.date(2025, 2, 1)), True),  # ended before the cutoff day
                (month(on_roll, dt.date(2025, 3, 1)), False),  # holds kept days
                (month(gone, dt.date(2025, 1, 1)), True),
            ],
        )
    finally:
        await database.dispose()


async def test_a_deleted_pupil_stays_while_a_mark_of_theirs_is_kept(backend, test_databases):
    database = await migrated(test_databases, "registers_retention_kept", backend, MIGRATIONS)
    school = School(urn="100002", name="Dale Primary", la_code="380", updated_at=SIX_YEARS)
    gone = pupil("100002", deleted_on=DAY - dt.timedelta(days=400))
    amended = mark(gone, DAY - dt.timedelta(days=500), SIX_YEARS - dt.timedelta(days=500))
    try:
        await check_schedule(
            database,
            RULES,
            NOW,
            [
                (school, False),
                (gone, False),
                (amended, False),
                (change(amended, SIX_YEARS + dt.timedelta(days=1)), False),  # amended 5 years ago
            ],
        )
    finally:
        await database.dispose()


def absence_report(of: Pupil, last_date: dt.date, submitted_at: dt.datetime) -> AbsenceReport:
    return AbsenceReport(
        id=str(uuid.uuid4()),
        school_urn=of.school_urn,
        pupil_id=of.id,
        upn=of.upn,
        first_date=last_date - dt.timedelta(days=1),
        first_session="AM",
        last_date=last_date,
        last_session="PM",
        reason="illness",
        note="Temperature",
        status="accepted",
        submitted_at=submitted_at,
        submitted_by_sub="parent",
        submitted_by_role="parent",
    )


def leave_request(of: Pupil, last_date: dt.date, submitted_at: dt.datetime) -> LeaveRequest:
    return LeaveRequest(
        id=str(uuid.uuid4()),
        school_urn=of.school_urn,
        pupil_id=of.id,
        upn=of.upn,
        first_date=last_date,
        last_date=last_date,
        category="interview",
        expected_code="J1",
        status="granted",
        submitted_at=submitted_at,
        submitted_by_sub="parent",
        submitted_by_role="parent",
    )


async def test_families_reports_and_leave_are_kept_as_long_as_the_register_entries_they_explain(
    backend, test_databases
):
    database = await migrated(test_databases, "registers_retention_requests", backend, MIGRATIONS)
    school = School(urn="100003", name="Vale Primary", la_code="380", updated_at=SIX_YEARS)
    on_roll = pupil("100003")
    gone = pupil("100003", deleted_on=DAY - dt.timedelta(days=1))
    before = SIX_YEARS - dt.timedelta(days=10)
    try:
        await check_schedule(
            database,
            RULES,
            NOW,
            [
                (school, False),
                (on_roll, False),
                (gone, True),
                (absence_report(on_roll, DAY - dt.timedelta(days=1), before), True),
                (absence_report(on_roll, DAY, before), False),  # its last day is inside the 6 years
                (leave_request(on_roll, DAY - dt.timedelta(days=1), before), True),
                (leave_request(on_roll, DAY + dt.timedelta(days=30), before), False),
                (absence_report(gone, DAY + dt.timedelta(days=10), before), True),  # goes with its pupil
            ],
        )
    finally:
        await database.dispose()
