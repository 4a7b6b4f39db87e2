"""The rules of plans on a case (api.md Part 2, domain.md 10), as pure functions.

Kinds, progress and outcomes are checked here rather than by the request schema, so a caller gets
a problem whose `code` names what was wrong (`unknown_plan_kind`, not a generic validation error).
"""

from __future__ import annotations

import datetime as dt

from attendance_common.errors import Conflict, Unprocessable
from attendance_common.events.casework import PLAN_KINDS, PLAN_OUTCOMES, PROGRESS

# The plan the school and the LA agree for a severely absent pupil (domain.md 6 and 10).
JOINT_PLAN = "joint_school_la"
ACTIVE, ENDED = "active", "ended"


def check_kind(kind: str) -> str:
    if kind not in PLAN_KINDS:
        raise Unprocessable(
            "unknown_plan_kind", f"unknown plan kind {kind!r}; known: {', '.join(PLAN_KINDS)}"
        )
    return kind


def check_progress(progress: str) -> str:
    if progress not in PROGRESS:
        raise Unprocessable(
            "unknown_progress", f"unknown progress {progress!r}; known: {', '.join(PROGRESS)}"
        )
    return progress


def check_outcome(outcome: str) -> str:
    if outcome not in PLAN_OUTCOMES:
        raise Unprocessable(
            "unknown_plan_outcome", f"unknown plan outcome {outcome!r}; known: {', '.join(PLAN_OUTCOMES)}"
        )
    return outcome


def check_active(status: str, plan_id: str) -> None:
    if status != ACTIVE:
        raise Conflict("plan_ended", f"plan {plan_id} has ended")


def check_first_review(review_on: dt.date, started_on: dt.date) -> None:
    """A plan's first review is on or after the day it starts."""
    if review_on < started_on:
        raise Unprocessable(
            "review_before_plan_started", f"review_on {review_on} is before the plan starts ({started_on})"
        )


def check_review(held_on: dt.date, next_review_on: dt.date, *, started_on: dt.date, today: dt.date) -> None:
    """A review is held between the plan's start and today, and sets a later review date."""
    if held_on < started_on:
        raise Unprocessable(
            "review_before_plan_started", f"held_on {held_on} is before the plan started ({started_on})"
        )
    if held_on > today:
        raise Unprocessable("future_date", f"held_on {held_on} is in the future")
    if next_review_on <= held_on:
        raise Unprocessable(
            "next_review_not_after_review", f"next_review_on {next_review_on} is not after held_on {held_on}"
        )


def review_overdue(status: str, review_on: dt.date, today: dt.date) -> bool:
    """api.md: an active plan whose review date is before today."""
    return status == ACTIVE and review_on < today
