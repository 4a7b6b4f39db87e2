"""The rules of plans (api.md Part 2), as pure functions."""

from __future__ import annotations

import datetime as dt

import pytest

from attendance_common.errors import AppError
from casework import plan_rules

START = dt.date(2026, 12, 3)


def code_of(call, *args, **kwargs) -> str:
    with pytest.raises(AppError) as raised:
        call(*args, **kwargs)
    return raised.value.code


def test_the_four_kinds_are_known_and_anything_else_is_unknown_plan_kind():
    for kind in ("attendance_support", "joint_school_la", "early_help", "attendance_contract"):
        assert plan_rules.check_kind(kind) == kind
    assert code_of(plan_rules.check_kind, "joint_plan") == "unknown_plan_kind"


def test_progress_is_improving_no_change_or_worsening():
    for progress in ("improving", "no_change", "worsening"):
        assert plan_rules.check_progress(progress) == progress
    assert code_of(plan_rules.check_progress, "better") == "unknown_progress"


def test_a_review_on_the_day_the_plan_started_is_accepted_and_the_day_before_is_not():
    plan_rules.check_review(START, START + dt.timedelta(days=1), started_on=START, today=START)
    before = START - dt.timedelta(days=1)
    assert (
        code_of(plan_rules.check_review, before, START, started_on=START, today=START)
        == "review_before_plan_started"
    )


def test_a_review_sets_a_later_review_date_and_is_not_held_in_the_future():
    assert (
        code_of(plan_rules.check_review, START, START, started_on=START, today=START)
        == "next_review_not_after_review"
    )
    tomorrow = START + dt.timedelta(days=1)
    assert (
        code_of(
            plan_rules.check_review, tomorrow, START + dt.timedelta(days=9), started_on=START, today=START
        )
        == "future_date"
    )


def test_a_first_review_date_before_the_start_is_refused():
    plan_rules.check_first_review(START, START)
    assert (
        code_of(plan_rules.check_first_review, START - dt.timedelta(days=1), START)
        == "review_before_plan_started"
    )


def test_a_review_is_overdue_only_for_an_active_plan_after_its_date():
    assert plan_rules.review_overdue("active", START - dt.timedelta(days=1), START)
    assert not plan_rules.review_overdue("active", START, START)
    assert not plan_rules.review_overdue("ended", START - dt.timedelta(days=30), START)


def test_an_overdue_review_reminder_names_the_plan_its_lead_and_the_date_it_was_due():
    import datetime as dt

    from casework.plan_rules import overdue_review_notes

    text = overdue_review_notes("joint_school_la", dt.date(2027, 1, 5), "Sam Patel")
    assert text.startswith("Plan review overdue: the joint school and LA plan (lead: Sam Patel)")
    assert "5 January 2027" in text
    assert "(lead:" not in overdue_review_notes("early_help", dt.date(2027, 1, 5), None)
