"""Casework's retention (docs/retention.md): a closed case and everything recorded on it 6 years
after it closed; an alert without a case 6 years after it cleared; on PostgreSQL and SQLite, with
rows just inside and just outside the period."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from typing import Any

import pytest

from attendance_common.testing.retention import check_schedule, migrated
from casework.main import MIGRATIONS
from casework.models import Action, Alert, Barrier, Case, CasePupil, LegalAction, Referral, StageEntry
from casework.retention import RULES

pytestmark = pytest.mark.integration

NOW = dt.datetime(2031, 3, 15, 12, 0, tzinfo=dt.UTC)
SIX_YEARS = dt.datetime(2025, 3, 15, 12, 0, tzinfo=dt.UTC)
SECOND = dt.timedelta(seconds=1)
LONG_AGO = SIX_YEARS - dt.timedelta(days=400)
_ids = itertools.count(1)


def new_id() -> str:
    return str(uuid.uuid4())


def case(closed_at: dt.datetime | None) -> Case:
    return Case(
        id=new_id(),
        family_key=f"family-{next(_ids)}",
        status="open" if closed_at is None else "closed",
        stage="monitoring",
        opened_at=LONG_AGO,
        closed_at=closed_at,
        outcome=None if closed_at is None else "attendance_improved",
    )


def alert(of: Case | None, cleared_at: dt.datetime | None) -> Alert:
    return Alert(
        id=new_id(),
        type="persistent_absence",
        school_urn="100001",
        upn="A123456789012",
        status="open" if cleared_at is None else "cleared",
        raised_at=LONG_AGO,
        cleared_at=cleared_at,
        case_id=None if of is None else of.id,
    )


def records(of: Case) -> list[Any]:
    """One of everything a case holds."""
    return [
        StageEntry(id=next(_ids), case_id=of.id, stage="monitoring", at=LONG_AGO, by="system"),
        CasePupil(case_id=of.id, school_urn="100001", upn=f"A{next(_ids):012d}", la_code="380"),
        Referral(id=new_id(), case_id=of.id, to="early_help", reason="family support", made_at=LONG_AGO),
        Barrier(id=new_id(), case_id=of.id, category="health", recorded_at=LONG_AGO, recorded_by="staff"),
        Action(
            id=new_id(),
            case_id=of.id,
            type="meeting",
            due_on=LONG_AGO.date(),
            created_at=LONG_AGO,
            created_by="staff",
        ),
        LegalAction(
            id=new_id(),
            case_id=of.id,
            type="penalty_notice",
            status="issued",
            school_urn="100001",
            upn="A123456789012",
            parent_key="parent@example.com",
            issued_on=LONG_AGO.date(),
            amounts=[],
            details={},
            recorded_at=LONG_AGO,
            recorded_by="officer",
        ),
    ]


def labelled(rows: list[Any], due: bool) -> list[tuple[Any, bool]]:
    return [(row, due) for row in rows]


async def test_closed_cases_go_six_years_after_closing_with_all_they_hold(backend, test_databases):
    database = await migrated(test_databases, "casework_retention", backend, MIGRATIONS)
    closed_long_ago = case(closed_at=SIX_YEARS - SECOND)
    closed_lately = case(closed_at=SIX_YEARS + SECOND)
    closed_but_alert_open = case(closed_at=SIX_YEARS - dt.timedelta(days=30))
    still_open = case(closed_at=None)
    try:
        await check_schedule(
            database,
            RULES,
            NOW,
            [
                (closed_long_ago, True),
                *labelled(records(closed_long_ago), True),
                (alert(closed_long_ago, cleared_at=SIX_YEARS - dt.timedelta(days=50)), True),
                (closed_lately, False),
                *labelled(records(closed_lately), False),
                (alert(closed_lately, cleared_at=SIX_YEARS - dt.timedelta(days=50)), False),
                (closed_but_alert_open, False),
                *labelled(records(closed_but_alert_open), False),
                (alert(closed_but_alert_open, cleared_at=None), False),
                (still_open, False),
                *labelled(records(still_open), False),
                (alert(None, cleared_at=SIX_YEARS - SECOND), True),
                (alert(None, cleared_at=SIX_YEARS + SECOND), False),
                (alert(None, cleared_at=None), False),
            ],
        )
    finally:
        await database.dispose()
