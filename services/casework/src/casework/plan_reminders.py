"""Overdue plan reviews (architecture.md "Work driven by the clock"): once a school-local day, each
active plan of an open case whose `review_on` has passed gets one case action reminding of the
review, once per plan and review date.

What is due is decided from casework's own tables. Each reminder is claimed by a row keyed by
(plan, review date), inserted in the same transaction as the action it adds (no event: a case
action has none), so two workers, a restart or a repeated run (the worker's daily tick, or
`POST /v1/jobs/plan-review-reminders`) never remind twice. A review recorded later moves
`review_on` on, and a new overdue date is a new claim.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from attendance_common.bulk import upsert_rows
from attendance_common.clock import now_utc, today_in_london
from attendance_common.db import Database
from attendance_common.messaging.worker import Background
from casework.cases import SYSTEM
from casework.models import Action, Case, Plan, PlanReviewReminder
from casework.plan_rules import ACTIVE, OVERDUE_REVIEW_ACTION_TYPE, overdue_review_notes

log = structlog.get_logger(__name__)

Clock = Callable[[], dt.datetime]
BATCH = 500  # plans claimed per transaction


@dataclass(frozen=True)
class Run:
    """What one run did: the school-local day it judged by and the reminders it added."""

    on: dt.date
    reminded: int


async def remind_batch(session: AsyncSession, now: dt.datetime, *, limit: int = BATCH) -> tuple[int, int]:
    """Claim and remind up to `limit` overdue plans in this transaction: how many were found
    unclaimed, and how many this transaction claimed (another worker may take some meanwhile)."""
    today = today_in_london(now)
    claimed_before = exists().where(
        PlanReviewReminder.plan_id == Plan.id, PlanReviewReminder.review_on == Plan.review_on
    )
    due = list(
        await session.execute(
            select(Plan.id, Plan.case_id, Plan.kind, Plan.review_on, Plan.lead)
            .join(Case, Case.id == Plan.case_id)
            .where(Plan.status == ACTIVE, Plan.review_on < today, Case.status == "open", ~claimed_before)
            .order_by(Plan.review_on, Plan.id)
            .limit(limit)
        )
    )
    if not due:
        return 0, 0
    rows = [
        {
            "plan_id": plan.id,
            "review_on": plan.review_on,
            "case_id": plan.case_id,
            "action_id": str(uuid.uuid4()),
            "reminded_on": today,
            "claimed_at": now,
        }
        for plan in due
    ]
    await session.flush()
    # Another worker may have claimed some meanwhile: only the rows this statement inserted count.
    new = set(
        await upsert_rows(
            session, PlanReviewReminder, rows, key=("plan_id", "review_on"), returning="plan_id"
        )
    )
    for plan, row in zip(due, rows, strict=True):
        if plan.id not in new:
            continue
        session.add(
            Action(
                id=row["action_id"],
                case_id=plan.case_id,
                type=OVERDUE_REVIEW_ACTION_TYPE,
                due_on=today,
                notes=overdue_review_notes(plan.kind, plan.review_on, (plan.lead or {}).get("name")),
                created_at=now,
                created_by=SYSTEM.sub,
            )
        )
    return len(due), len(new)


async def run(database: Database, now: dt.datetime) -> Run:
    """Every overdue plan's reminder, a batch per transaction, until none is left to claim."""
    total = 0
    while True:
        async with database.transaction() as session:
            found, added = await remind_batch(session, now)
        total += added
        if found < BATCH:
            break
    on = today_in_london(now)
    log.info("plan_review_reminders", on=on.isoformat(), reminded=total)
    return Run(on=on, reminded=total)


def daily(database: Database, clock: Clock = now_utc, *, poll_seconds: float = 60.0) -> Background:
    """The worker's background loop: a run on each school-local day it has not run yet (on start,
    then after midnight in London). A failed run is logged and tried again at the next poll."""

    async def loop(stop: asyncio.Event) -> None:
        last: dt.date | None = None
        while not stop.is_set():
            today = today_in_london(clock())
            if today != last:
                try:
                    await run(database, clock())
                    last = today
                except Exception:
                    log.exception("plan_review_reminders_failed")
            try:
                await asyncio.wait_for(stop.wait(), timeout=poll_seconds)
            except TimeoutError:
                pass

    return loop
