"""Helpers for the alerts API tests: tokens, batched marks, pupils with a social worker, rule cleanup."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from alerts_support import NOW, Feed, new_urn
from sqlalchemy import delete

from alerts.models import RuleScope
from attendance_common.auth import DEVELOPMENT_JWT_SECRET, mint_token
from attendance_common.db import Database
from attendance_common.events.registers import (
    Characteristics,
    MarksRecorded,
    PupilUpserted,
    RecordedMark,
    SocialWorker,
)

# api.md "Alerts": the fields of an alert, and the members of its evidence and of each evidence mark.
ALERT_FIELDS = {
    "id",
    "type",
    "school_urn",
    "upn",
    "date",
    "status",
    "raised_at",
    "cleared_at",
    "rule_version",
    "evidence",
}
# Added by this service (api.md allows additions): who acknowledged the alert, when, and the note.
ACKNOWLEDGEMENT_FIELDS = {"acknowledged_at", "acknowledged_by", "acknowledgement_note"}
DEFAULT_THRESHOLDS: dict[str, Any] = {
    "persistent_rate": 0.1,
    "persistent_clear_below": 0.09,
    "severe_rate": 0.5,
    "severe_clear_below": 0.49,
    "min_possible_sessions": 30,
    "ten_day_run_days": 10,
    "illness_days": 15,
    "penalty_sessions": 10,
    "penalty_weeks": 10,
    "overdue_n_school_days": 5,
    "emerging_rate": 0.1,
    "emerging_clear_rate": 0.09,
    "emerging_days": 20,
    "emerging_min_possible_sessions": 20,
    "twenty_day_run_days": 20,
    "enabled": sorted(
        [
            "first_day_absence",
            "social_worker_unexplained_absence",
            "persistent_absence",
            "severe_absence",
            "ten_day_unauthorised",
            "fifteen_day_illness",
            "penalty_threshold",
            "overdue_n",
            "emerging_absence",
            "twenty_day_continuous_absence",
        ]
    ),
}


def auth(role: str, *, sub: str | None = None, **claims: Any) -> dict[str, str]:
    token = mint_token(secret=DEVELOPMENT_JWT_SECRET, sub=sub or f"{role}-user", role=role, **claims)
    return {"Authorization": f"Bearer {token}"}


def admin() -> dict[str, str]:
    return auth("admin")


def staff(*urns: str) -> dict[str, str]:
    return auth("school_staff", sub=f"staff-{urns[0]}", schools=list(urns), name="Head of Year")


def other_school(feed: Feed, la_code: str = "380") -> Feed:
    """A second school fed into the same database (its own URN, optionally another LA)."""
    return Feed(feed.consumer, feed.database, new_urn(), la_code=la_code)


async def n_for_each(feed: Feed, upns: Iterable[str], day: dt.date) -> None:
    """One register batch: an `N` in the AM session of `day` for every pupil (one alert each)."""
    marks = [RecordedMark(upn=upn, date=day, session="AM", code="N", recorded_at=NOW) for upn in upns]
    await feed.send(MarksRecorded(school_urn=feed.urn, la_code=feed.la_code, marks=marks))


async def pupil_with_social_worker(feed: Feed, upn: str, email: str) -> None:
    await feed.send(
        PupilUpserted(
            school_urn=feed.urn,
            la_code=feed.la_code,
            upn=upn,
            given_name="Ada",
            family_name="L",
            year_group="6",
            start_date=dt.date(2025, 9, 1),
            characteristics=Characteristics(has_social_worker=True),
            social_worker=SocialWorker(name="Sam Worker", email=email),
        )
    )


async def forget_scopes(database: Database, *scopes: str) -> None:
    """Remove rule scopes so tests sharing the database see the default thresholds again."""
    async with database.transaction() as session:
        await session.execute(delete(RuleScope).where(RuleScope.scope.in_(scopes)))
