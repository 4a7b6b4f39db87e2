"""Alerts' retention (docs/retention.md): its marks and counts follow the register (6 years), cleared
alerts 6 years after clearing, open ones stay; on PostgreSQL and SQLite, just inside and outside."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid

import pytest

from alerts.main import MIGRATIONS
from alerts.models import Alert, Mark, Pupil, SchoolDay, WeekCount, YearCount
from alerts.retention import RULES
from attendance_common.testing.retention import check_schedule, migrated

pytestmark = pytest.mark.integration

NOW = dt.datetime(2031, 3, 15, 12, 0, tzinfo=dt.UTC)
SIX_YEARS = dt.datetime(2025, 3, 15, 12, 0, tzinfo=dt.UTC)
DAY = dt.date(2025, 3, 15)  # a Saturday
SECOND = dt.timedelta(seconds=1)
_ids = itertools.count(1)


def pupil(deleted_on: dt.date | None = None) -> Pupil:
    pupil_id = next(_ids)
    upn = f"A{pupil_id:012d}"
    return Pupil(id=pupil_id, school_urn="100001", upn=upn, la_code="380", deleted_on=deleted_on)


def alert(of: Pupil, cleared_at: dt.datetime | None) -> Alert:
    return Alert(
        id=str(uuid.uuid4()),
        type="persistent_absence",
        pupil_id=of.id,
        school_urn=of.school_urn,
        la_code="380",
        upn=of.upn,
        date=None,
        date_key=str(next(_ids)),
        status="open" if cleared_at is None else "cleared",
        raised_at=SIX_YEARS - dt.timedelta(days=100),
        cleared_at=cleared_at,
        rule_version="2024-08",
        evidence={},
    )


def mark(of: Pupil, date: dt.date) -> Mark:
    return Mark(pupil_id=of.id, date=date, session="AM", code="/", school_urn=of.school_urn)


def week(of: Pupil, monday: dt.date) -> WeekCount:
    return WeekCount(pupil_id=of.id, week=monday, unauthorised=1)


async def test_alert_state_follows_the_register_and_cleared_alerts_stay_six_years(backend, test_databases):
    database = await migrated(test_databases, "alerts_retention", backend, MIGRATIONS)
    on_roll = pupil()
    gone = pupil(deleted_on=DAY - dt.timedelta(days=1))
    gone_with_open_alert = pupil(deleted_on=DAY - dt.timedelta(days=1))
    gone_lately = pupil(deleted_on=DAY)
    try:
        await check_schedule(
            database,
            RULES,
            NOW,
            [
                (on_roll, False),
                (gone, True),
                (gone_with_open_alert, False),
                (gone_lately, False),
                (mark(on_roll, DAY - dt.timedelta(days=1)), True),
                (mark(on_roll, DAY), False),
                (mark(gone, DAY - dt.timedelta(days=200)), True),
                (SchoolDay(school_urn="100001", date=DAY - dt.timedelta(days=1)), True),
                (SchoolDay(school_urn="100001", date=DAY), False),
                (week(on_roll, dt.date(2025, 3, 3)), True),  # Monday to Sunday 9 March
                (week(on_roll, dt.date(2025, 3, 10)), False),  # to Sunday 16 March
                (YearCount(pupil_id=on_roll.id, year_start=dt.date(2023, 9, 1), present=1), True),
                (YearCount(pupil_id=on_roll.id, year_start=dt.date(2024, 9, 1), present=1), False),
                (alert(on_roll, cleared_at=SIX_YEARS - SECOND), True),
                (alert(on_roll, cleared_at=SIX_YEARS + SECOND), False),
                (alert(on_roll, cleared_at=None), False),
                (alert(gone, cleared_at=SIX_YEARS - dt.timedelta(days=1)), True),
                (alert(gone_with_open_alert, cleared_at=None), False),
            ],
        )
    finally:
        await database.dispose()
