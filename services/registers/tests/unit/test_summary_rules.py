"""Pure rules behind the registers API: the summary period, group summaries, and per-mark checks."""

from __future__ import annotations

import datetime as dt

import pytest

from attendance_common.codes import Counts
from attendance_common.errors import Unprocessable
from attendance_common.identifiers import make_upn
from registers.marks import ItemChecker, _Outcome
from registers.schemas import MarkIn
from registers.summaries import _summary, period

D = dt.date
TODAY = D(2026, 11, 22)
UPN = make_upn("801", "2001", "15", "001")

# period: api.md "the academic year, 1 Sep-31 Aug, containing `to`, which defaults to today"


def test_with_no_dates_the_period_is_the_academic_year_to_date():
    assert period(None, None, TODAY) == (D(2026, 9, 1), TODAY)


def test_on_31_august_the_default_period_is_the_whole_academic_year_ending_that_day():
    assert period(None, None, D(2026, 8, 31)) == (D(2025, 9, 1), D(2026, 8, 31))


def test_on_1_september_the_default_period_is_that_one_day():
    assert period(None, None, D(2026, 9, 1)) == (D(2026, 9, 1), D(2026, 9, 1))


@pytest.mark.parametrize(
    ("end", "start"),
    [
        (D(2026, 8, 31), D(2025, 9, 1)),
        (D(2026, 9, 1), D(2026, 9, 1)),
        (D(2027, 1, 1), D(2026, 9, 1)),
        (D(2027, 8, 31), D(2026, 9, 1)),
    ],
)
def test_the_default_from_is_1_september_of_the_academic_year_containing_to(end, start):
    assert period(None, end, TODAY) == (start, end)


def test_the_default_to_is_today_when_only_from_is_given():
    assert period(D(2025, 9, 1), None, TODAY) == (D(2025, 9, 1), TODAY)


def test_given_dates_are_kept_as_they_are():
    assert period(D(2024, 1, 1), D(2024, 12, 31), TODAY) == (D(2024, 1, 1), D(2024, 12, 31))


def test_a_one_day_period_is_allowed():
    assert period(D(2026, 11, 2), D(2026, 11, 2), TODAY) == (D(2026, 11, 2), D(2026, 11, 2))


def test_from_after_to_is_bad_period():
    with pytest.raises(Unprocessable) as raised:
        period(D(2026, 11, 3), D(2026, 11, 2), TODAY)
    assert (raised.value.status, raised.value.code) == (422, "bad_period")


def test_from_after_the_default_to_is_bad_period():
    with pytest.raises(Unprocessable) as raised:
        period(TODAY + dt.timedelta(days=1), None, TODAY)
    assert raised.value.code == "bad_period"


# _summary: api.md "Rates are ... pooled ... and null when possible sessions are 0";
# "persistent_absence_rate = share of those pupils with PA".


def pupil(attended: int, absent: int) -> Counts:
    return Counts(present=attended, authorised_absence=absent)


def test_the_group_absence_rate_is_pooled_not_a_mean_of_pupils_rates():
    # 1 of 2 and 0 of 18: pooled 1/20 = 0.05, where the mean of the rates would be 0.25.
    assert _summary([pupil(1, 1), pupil(18, 0)]).absence_rate == pytest.approx(0.05)


def test_the_group_counts_its_pupils_and_sums_their_possible_sessions():
    summary = _summary([pupil(1, 1), pupil(18, 0), Counts()])
    assert (summary.pupils, summary.possible_sessions) == (3, 20)


def test_unauthorised_and_authorised_absence_both_count_towards_the_pooled_rate():
    summary = _summary([Counts(present=6, authorised_absence=2, unauthorised_absence=2)])
    assert summary.absence_rate == pytest.approx(0.4)


def test_approved_educational_activity_counts_as_attendance():
    summary = _summary([Counts(approved_educational_activity=9, unauthorised_absence=1)])
    assert summary.absence_rate == pytest.approx(0.1)


def test_the_persistent_absence_share_is_of_every_pupil_counted_even_with_no_possible_sessions():
    # api.md: "share of those pupils", the ones `pupils` counts (on roll but not yet marked too).
    summary = _summary([pupil(1, 1), pupil(9, 1), pupil(10, 0), Counts()])
    assert summary.pupils == 4
    assert summary.persistent_absence_rate == pytest.approx(0.5)
    assert summary.severe_absence_rate == pytest.approx(0.25)


def test_persistent_absence_starts_at_exactly_ten_percent():
    assert _summary([pupil(9, 1)]).persistent_absence_rate == 1.0
    assert _summary([pupil(91, 9)]).persistent_absence_rate == 0.0


def test_severe_absence_is_counted_within_persistent_absence():
    summary = _summary([pupil(1, 1), pupil(9, 1), pupil(10, 0), pupil(1, 0)])
    assert summary.persistent_absence_rate == pytest.approx(0.5)
    assert summary.severe_absence_rate == pytest.approx(0.25)


def test_with_no_possible_sessions_every_rate_is_null():
    summary = _summary([Counts(), Counts()])
    assert (summary.pupils, summary.possible_sessions) == (2, 0)
    assert (summary.absence_rate, summary.persistent_absence_rate, summary.severe_absence_rate) == (None,) * 3


def test_an_empty_group_has_no_pupils_and_null_rates():
    summary = _summary([])
    assert (summary.pupils, summary.possible_sessions, summary.absence_rate) == (0, 0, None)
    assert (summary.persistent_absence_rate, summary.severe_absence_rate) == (None, None)


# ItemChecker: the per-mark checks that need no database (api.md "POST .../marks").


def check(**fields: object):
    item = MarkIn(**{"upn": UPN, "date": "2026-11-16", "session": "AM", "code": "/", **fields})
    outcome = _Outcome()
    return ItemChecker(TODAY, outcome).check(7, item), outcome


def rejected(**fields: str):
    valid, outcome = check(**fields)
    assert valid is None
    [rejection] = outcome.rejected
    return rejection


def test_a_good_mark_passes_with_nothing_rejected():
    valid, outcome = check()
    assert outcome.rejected == []
    assert (valid.index, valid.upn, valid.date, valid.session, valid.code) == (
        7,
        UPN,
        D(2026, 11, 16),
        "AM",
        "/",
    )


@pytest.mark.parametrize("session", ["EVE", "", "A M", "AMPM"])
def test_a_session_other_than_am_or_pm_is_bad_session(session):
    assert rejected(session=session).error_code == "bad_session"


@pytest.mark.parametrize("code", ["ZZ", "N ", " N", "", "Y8", "/N"])
def test_a_code_not_in_the_table_is_unknown_code(code):
    assert rejected(code=code).error_code == "unknown_code"


@pytest.mark.parametrize(("code", "replacement"), [("H", "C"), ("J", "J1"), ("Y", "Y1"), ("h", "C")])
def test_a_retired_code_is_retired_code_naming_its_replacement(code, replacement):
    rejection = rejected(code=code)
    assert rejection.error_code == "retired_code"
    assert f"use {replacement}" in rejection.error


def test_the_mis_placeholder_is_no_mark():
    assert rejected(code="-").error_code == "no_mark"


@pytest.mark.parametrize("date", ["2026-13-01", "2026-02-30", "yesterday", ""])
def test_an_unreadable_date_is_bad_date(date):
    assert rejected(date=date).error_code == "bad_date"


def test_a_date_after_today_is_future_date():
    assert rejected(date="2026-11-23").error_code == "future_date"


def test_a_mark_for_today_is_not_in_the_future():
    valid, outcome = check(date=TODAY.isoformat())
    assert valid is not None and outcome.rejected == []


def test_a_rejection_echoes_the_index_upn_and_code_as_sent():
    rejection = rejected(upn=UPN.lower(), code="h")
    assert (rejection.index, rejection.upn, rejection.code) == (7, UPN.lower(), "h")


@pytest.mark.parametrize(
    ("sent", "stored"), [("n", "N"), ("l", "L"), ("y1", "Y1"), ("c1", "C1"), ("\\", "\\")]
)
def test_a_code_in_lower_case_is_stored_upper_case(sent, stored):
    valid, _ = check(code=sent)
    assert valid.code == stored


def test_the_upn_is_trimmed_and_upper_cased():
    valid, _ = check(upn=f"  {UPN.lower()} ")
    assert valid.upn == UPN


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"code": None}, "code must be a string"),
        ({"date": 20261116}, "date must be a string"),
        ({"upn": None}, "upn must be a string"),
        ({"minutes_late": -1}, "minutes_late"),
        ({"minutes_late": "5"}, "minutes_late"),
        ({"minutes_late": True}, "minutes_late"),
        ({"reason": "x" * 1001}, "reason"),
        ({"reason": 7}, "reason"),
    ],
)
def test_a_malformed_item_is_rejected_alone_as_bad_item(fields, problem):
    valid, outcome = check(**fields)
    assert valid is None
    assert [(r.index, r.error_code) for r in outcome.rejected] == [(7, "bad_item")]
    assert problem in outcome.rejected[0].error


def test_a_session_in_lower_case_is_accepted():
    valid, _ = check(session="pm")
    assert valid.session == "PM"


def test_a_upn_with_spaces_is_looked_up_in_its_compact_form():
    valid, _ = check(upn=" " + UPN[:4].lower() + " " + UPN[4:] + " ")
    assert valid.upn == UPN
