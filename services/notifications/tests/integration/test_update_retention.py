"""Attendance updates' retention (docs/retention.md): a run's claim and a pupil's latest update are
kept 2 years, as the messages they sent; schedules and preferences stay while in force."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from attendance_common.testing.retention import check_schedule, migrated
from notifications.main import MIGRATIONS
from notifications.retention import RULES
from notifications.updates.models import ParentPreferences, PupilUpdate, UpdateRun, UpdateSchedule

pytestmark = pytest.mark.integration

NOW = dt.datetime(2031, 3, 15, 12, 0, tzinfo=dt.UTC)
TWO_YEARS = dt.datetime(2029, 3, 15, 12, 0, tzinfo=dt.UTC)
SECOND = dt.timedelta(seconds=1)


def run(created_at: dt.datetime, day: dt.date) -> UpdateRun:
    return UpdateRun(
        id=str(uuid.uuid4()),
        school_urn="100001",
        period_from=day,
        period_to=day,
        requested_by="staff",
        pupils=1,
        messages=1,
        created_at=created_at,
    )


def latest(upn: str, sent_at: dt.datetime) -> PupilUpdate:
    return PupilUpdate(
        school_urn="100001",
        upn=upn,
        run_id=str(uuid.uuid4()),
        period_to=sent_at.date(),
        year_attended=9,
        year_possible=10,
        sent_at=sent_at,
    )


async def test_runs_and_latest_updates_two_years_configuration_while_in_force(backend, test_databases):
    database = await migrated(test_databases, "notifications_update_retention", backend, MIGRATIONS)
    try:
        await check_schedule(
            database,
            RULES,
            NOW,
            [
                (run(TWO_YEARS - SECOND, dt.date(2029, 3, 9)), True),
                (run(TWO_YEARS + SECOND, dt.date(2029, 3, 16)), False),
                (latest("A000000000001", TWO_YEARS - SECOND), True),
                (latest("A000000000002", TWO_YEARS + SECOND), False),
                (
                    UpdateSchedule(
                        school_urn="100001",
                        frequency="weekly",
                        weekday="friday",
                        time=dt.time(15, 30),
                        updated_at=TWO_YEARS - SECOND * 1000,
                        updated_by="staff",
                    ),
                    False,
                ),
                (
                    ParentPreferences(
                        email="pat@example.com",
                        by_email=False,
                        by_sms=True,
                        attendance_updates=True,
                        updated_at=TWO_YEARS - SECOND * 1000,
                    ),
                    False,
                ),
            ],
        )
    finally:
        await database.dispose()
