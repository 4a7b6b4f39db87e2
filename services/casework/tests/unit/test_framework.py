"""The penalty-notice rules of the national framework (domain.md 7), without I/O."""

from __future__ import annotations

import datetime as dt

import pytest

from attendance_common.errors import Conflict, Unprocessable
from casework import framework

FIRST = [{"due_within_days": 21, "amount_gbp": 80}, {"due_within_days": 28, "amount_gbp": 160}]
SECOND = [{"due_within_days": 28, "amount_gbp": 160}]
D = dt.date


def test_the_first_notice_is_80_then_160():
    assert framework.penalty_amounts([], D(2025, 1, 6)) == FIRST


def test_the_second_within_3_years_is_a_flat_160():
    assert framework.penalty_amounts([D(2025, 1, 6)], D(2027, 12, 1)) == SECOND


def test_a_third_within_3_years_of_the_first_is_refused():
    with pytest.raises(Conflict) as refused:
        framework.penalty_amounts([D(2025, 1, 6), D(2025, 2, 3)], D(2028, 1, 5))
    assert refused.value.code == "penalty_notice_limit_reached"


def test_a_new_window_starts_3_years_after_the_first_notice():
    assert framework.penalty_amounts([D(2025, 1, 6), D(2025, 2, 3)], D(2028, 1, 6)) == FIRST


def test_the_window_starts_at_the_first_notice_on_or_after_19_august_2024():
    # Notices under the old rules do not count; the window starts at 2024-08-19.
    earlier = [D(2023, 5, 1), D(2024, 3, 1), D(2024, 8, 19)]
    assert framework.penalty_amounts(earlier, D(2025, 1, 6)) == SECOND


def test_a_backdated_notice_that_would_make_a_later_one_third_is_refused():
    with pytest.raises(Conflict):
        framework.penalty_amounts([D(2025, 6, 2), D(2026, 1, 5)], D(2025, 1, 6))


def test_a_notice_before_the_framework_is_refused():
    with pytest.raises(Unprocessable) as refused:
        framework.penalty_amounts([], D(2024, 8, 18))
    assert refused.value.code == "penalty_notice_before_framework"


def test_a_window_from_29_february_runs_to_the_end_of_february():
    assert framework.add_years(D(2028, 2, 29), 3) == D(2031, 3, 1)


@pytest.mark.parametrize(("reason", "met"), [("holiday", False), (" HOLIDAY ", False), ("absence", True)])
def test_penalty_grounds_are_the_threshold_or_a_holiday(reason, met):
    framework.check_penalty_grounds(reason, met)


def test_no_threshold_and_no_holiday_is_refused():
    with pytest.raises(Conflict) as refused:
        framework.check_penalty_grounds("absence", False)
    assert refused.value.code == "penalty_threshold_not_met"


@pytest.mark.parametrize(
    ("kind", "stage", "code"),
    [
        ("attendance_contract", "facilitate_support", "case_not_at_formalise_support"),
        ("penalty_notice", "formalise_support", "case_not_at_enforce"),
        ("prosecution", "monitor", "case_not_at_enforce"),
    ],
)
def test_each_type_needs_its_stage(kind, stage, code):
    with pytest.raises(Conflict) as refused:
        framework.check_stage(kind, stage)
    assert refused.value.code == code


def test_an_eso_ending_on_the_31st_ends_on_the_last_day_of_a_shorter_month():
    assert framework.add_months(D(2025, 8, 31), 6) == D(2026, 2, 28)
