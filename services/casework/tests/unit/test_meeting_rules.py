"""The rules of targeting support meetings (api.md Part 2), as pure functions."""

from __future__ import annotations

import datetime as dt

import pytest

from attendance_common.errors import AppError
from casework import meeting_rules


def test_the_pack_takes_severe_or_persistent_absence_and_puts_severe_first():
    assert meeting_rules.in_pack(["persistent_absence"])
    assert meeting_rules.in_pack(["first_day_absence", "severe_absence"])
    assert not meeting_rules.in_pack(["first_day_absence", "ten_day_unauthorised"])
    pupils = {
        "B": ["persistent_absence"],
        "C": ["severe_absence", "persistent_absence"],
        "A": ["persistent_absence"],
    }
    ordered = sorted(pupils, key=lambda upn: meeting_rules.pack_rank(pupils[upn], upn))
    assert ordered == ["C", "A", "B"]


def test_a_school_of_another_or_an_unknown_la_is_not_in_the_la():
    meeting_rules.check_school_in_la("100001", "380", "380")
    for school_la in ("381", None):
        with pytest.raises(AppError) as raised:
            meeting_rules.check_school_in_la("100001", school_la, "380")
        assert raised.value.code == "school_not_in_la"


def test_a_meeting_is_recorded_once_held():
    today = dt.date(2026, 12, 3)
    meeting_rules.check_held_on(today, today)
    with pytest.raises(AppError) as raised:
        meeting_rules.check_held_on(today + dt.timedelta(days=1), today)
    assert raised.value.code == "future_date"


def test_an_agreed_action_says_what_who_and_where_it_was_agreed():
    notes = meeting_rules.action_notes("Home visit", "Sam Patel", dt.date(2026, 12, 2))
    assert notes == "Home visit (owner: Sam Patel; agreed at the targeting support meeting of 2026-12-02)"
