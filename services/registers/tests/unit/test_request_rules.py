"""The rules of families' requests, without I/O (api.md "Families report absences", "... ask for leave")."""

from __future__ import annotations

import datetime as dt

import pytest

from attendance_common.errors import Conflict, Unprocessable
from registers.family_requests import rules

TODAY = dt.date(2026, 12, 2)


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


@pytest.mark.parametrize(
    ("first", "last", "code"),
    [
        ((days(0), "PM"), (days(0), "AM"), "bad_range"),
        ((days(1), "AM"), (days(0), "PM"), "bad_range"),
        ((days(-15), "AM"), (days(-15), "PM"), "report_too_old"),
        ((days(61), "AM"), (days(61), "PM"), "report_too_far_ahead"),
        ((days(0), "AM"), (days(29), "AM"), "report_too_long"),
        ((dt.date.min, "AM"), (dt.date.max, "PM"), "report_too_old"),
    ],
)
def test_a_report_span_outside_the_rules_is_refused_with_its_code(first, last, code):
    with pytest.raises(Unprocessable) as refused:
        rules.check_report_span(first, last, TODAY)
    assert refused.value.code == code


@pytest.mark.parametrize(
    ("first", "last"),
    [
        ((days(-14), "PM"), (days(-14), "PM")),
        ((days(60), "AM"), (days(88), "PM")),
        ((days(0), "AM"), (days(28), "PM")),
    ],
)
def test_the_limits_themselves_pass(first, last):
    rules.check_report_span(first, last, TODAY)


@pytest.mark.parametrize(
    ("first", "code"), [(days(0), "leave_not_in_advance"), (days(-1), "leave_not_in_advance")]
)
def test_leave_from_today_or_earlier_is_not_in_advance(first, code):
    with pytest.raises(Unprocessable) as refused:
        rules.check_leave_span(first, days(3), TODAY)
    assert refused.value.code == code


def test_leave_ending_before_it_starts_is_a_bad_range():
    with pytest.raises(Unprocessable) as refused:
        rules.check_leave_span(days(3), days(2), TODAY)
    assert refused.value.code == "bad_range"


def test_covers_counts_sessions_at_both_ends():
    first, last = (days(0), "PM"), (days(2), "AM")
    assert not rules.covers(first, last, (days(0), "AM"))
    assert rules.covers(first, last, (days(0), "PM"))
    assert rules.covers(first, last, (days(1), "AM"))
    assert rules.covers(first, last, (days(2), "AM"))
    assert not rules.covers(first, last, (days(2), "PM"))


def test_leave_by_day_keeps_only_the_batchs_days_inside_each_pupils_leave():
    granted = [(1, days(-5), days(5), "J1"), (2, dt.date.min, dt.date.max, "C"), (3, days(1), days(3), "S")]
    assert rules.leave_by_day(granted, [days(0), days(0)]) == {(1, days(0)): "J1", (2, days(0)): "C"}


@pytest.mark.parametrize(
    ("status", "code"), [("accepted", "already_decided"), ("withdrawn", "already_withdrawn")]
)
def test_only_a_waiting_request_is_decided_or_withdrawn(status, code):
    with pytest.raises(Conflict) as refused:
        rules.check_undecided(status, "submitted", "report r1")
    assert refused.value.code == code
    rules.check_undecided("submitted", "submitted", "report r1")


def test_refusing_needs_a_note_but_granting_does_not():
    with pytest.raises(Unprocessable):
        rules.check_decision_note("refused", " ", needs_note="refused")
    rules.check_decision_note("granted", None, needs_note="refused")
