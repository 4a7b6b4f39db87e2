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


# The case action an overdue plan review adds (plan_reminders.py): the school's attendance lead
# and the plan's lead see it among the case's actions, due the day it was found overdue.
OVERDUE_REVIEW_ACTION_TYPE = "attendance_plan"
_KIND_WORDS = {
    "attendance_support": "attendance support plan",
    "joint_school_la": "joint school and LA plan",
    "early_help": "early help plan",
    "attendance_contract": "attendance contract",
}


def overdue_review_notes(kind: str, review_on: dt.date, lead_name: str | None) -> str:
    """What the reminder says: which plan, when its review was due, who leads it, what to do."""
    lead = f" (lead: {lead_name})" if lead_name else ""
    return (
        f"Plan review overdue: the {_KIND_WORDS.get(kind, 'plan')}{lead} was due for review on "
        f"{review_on:%-d %B %Y}. Hold the review with the family and record it on the plan, with "
        "the next review date."
    )
