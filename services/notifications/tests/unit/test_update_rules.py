"""The pure rules of attendance updates: the period, exact improvement at the 0.01 boundary, the
band, the weekly slot in Europe/London across clock changes, and support-first wording."""

from __future__ import annotations

import datetime as dt

import pytest

from attendance_common.codes import Counts
from attendance_common.errors import Unprocessable
from notifications.delivery import templates
from notifications.updates import preferences, rules
from notifications.updates.rules import Previous

TODAY = dt.date(2026, 12, 3)
THREATS = ("fine", "penalt", "prosecut", "court", "legal", "sanction", "£", "must", "warning")


def code_of(call) -> str:
    with pytest.raises(Unprocessable) as raised:
        call()
    return raised.value.code


def test_from_after_to_is_bad_range():
    assert (
        code_of(lambda: rules.check_period(dt.date(2026, 11, 20), dt.date(2026, 11, 16), TODAY))
        == "bad_range"
    )


def test_a_whole_academic_year_is_accepted_and_a_day_more_is_too_long():
    rules.check_period(dt.date(2025, 9, 1), dt.date(2026, 8, 31), TODAY)
    too_long = lambda: rules.check_period(dt.date(2025, 9, 1), dt.date(2026, 9, 1), TODAY)  # noqa: E731
    assert code_of(too_long) == "period_too_long"


def test_a_period_ending_after_today_is_refused():
    assert code_of(lambda: rules.check_period(TODAY, TODAY + dt.timedelta(days=1), TODAY)) == "future_date"


def year(attended: int, absent: int) -> Counts:
    return Counts(present=attended, authorised_absence=absent)


def test_exactly_001_above_is_an_improvement_where_floats_would_say_no():
    # 0.57 - 0.56 is 0.009999999999999898 in floating point: compared exactly it is 0.01.
    previous = Previous(dt.date(2026, 10, 2), attended=14, possible=25)
    assert 0.57 - 0.56 < 0.01
    assert rules.improved(previous, year(57, 43), dt.date(2026, 11, 20)) is True


def test_just_under_001_above_is_not_an_improvement():
    previous = Previous(dt.date(2026, 10, 2), attended=1, possible=2)  # 0.5
    assert rules.improved(previous, year(5099, 4901), dt.date(2026, 11, 20)) is False  # 0.5099
    assert rules.improved(previous, year(51, 49), dt.date(2026, 11, 20)) is True  # 0.51


def test_no_previous_update_or_no_sessions_is_no_improvement():
    assert rules.improved(None, year(10, 0), dt.date(2026, 11, 20)) is False
    assert rules.improved(Previous(dt.date(2026, 10, 2), 0, 0), year(10, 0), dt.date(2026, 11, 20)) is False
    assert rules.improved(Previous(dt.date(2026, 10, 2), 1, 2), Counts(), dt.date(2026, 11, 20)) is False


def test_last_years_update_is_not_compared_with_this_years_rate():
    july = Previous(dt.date(2026, 7, 17), attended=1, possible=2)
    assert rules.improved(july, year(9, 1), dt.date(2026, 9, 11)) is False


def test_figures_count_l_and_approved_activity_as_attendance_and_skip_uncounted_codes():
    counts = rules.tally({"/": 2, "L": 1, "V": 1, "I": 1, "N": 1, "X": 3, "#": 2, "??": 1})
    assert counts == Counts(
        present=3, approved_educational_activity=1, authorised_absence=1, unauthorised_absence=1
    )
    data = rules.data(dt.date(2026, 11, 16), dt.date(2026, 11, 20), counts, counts, False)
    assert data["present_sessions"] == 4
    assert data["possible_sessions"] == 6
    assert data["attendance_rate"] == 4 / 6


@pytest.mark.parametrize(
    ("attended", "absent", "band"),
    [(95, 5, "at_risk"), (96, 4, "expected"), (90, 10, "persistent"), (50, 50, "severe"), (0, 0, None)],
)
def test_bands_follow_the_year_to_date_absence_rate_exactly(attended, absent, band):
    assert rules.band(year(attended, absent)) == band


LONDON_FRIDAY = ("friday", dt.time(15, 30))


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def test_the_slot_is_local_time_in_summer_and_in_winter():
    # British Summer Time ends on Sunday 25 October 2026: 15:30 is 14:30 UTC before, 15:30 UTC after.
    assert rules.latest_slot(utc(2026, 10, 23, 14, 30), *LONDON_FRIDAY) == utc(2026, 10, 23, 14, 30)
    assert rules.latest_slot(utc(2026, 10, 23, 14, 29), *LONDON_FRIDAY) == utc(2026, 10, 16, 14, 30)
    assert rules.latest_slot(utc(2026, 10, 30, 15, 29), *LONDON_FRIDAY) == utc(2026, 10, 23, 14, 30)
    assert rules.latest_slot(utc(2026, 10, 30, 15, 30), *LONDON_FRIDAY) == utc(2026, 10, 30, 15, 30)


def test_a_time_the_clocks_skip_falls_an_hour_later():
    # 01:30 on Sunday 28 March 2027 does not exist in London: the clocks go from 01:00 to 02:00.
    slot = rules.latest_slot(utc(2027, 3, 28, 3, 0), "sunday", dt.time(1, 30))
    assert slot == utc(2027, 3, 28, 1, 30)


def test_a_weekly_run_covers_monday_to_the_slots_day():
    assert rules.week_of(utc(2026, 10, 30, 15, 30)) == (dt.date(2026, 10, 26), dt.date(2026, 10, 30))


@pytest.mark.parametrize(("text", "code"), [("25:00", "bad_time"), ("3pm", "bad_time"), ("15:3", "bad_time")])
def test_a_time_must_be_hh_mm(text, code):
    assert code_of(lambda: rules.parse_time(text)) == code


def test_an_unknown_weekday_or_frequency_is_refused_and_defaults_are_friday_at_half_past_three():
    assert code_of(lambda: rules.check_schedule("weekly", "funday", None)) == "unknown_weekday"
    assert code_of(lambda: rules.check_schedule("daily", None, None)) == "unknown_frequency"
    assert rules.check_schedule("weekly", None, None) == ("weekly", "friday", dt.time(15, 30))
    assert rules.check_schedule("weekly", "Monday", "08:05") == ("weekly", "monday", dt.time(8, 5))


def words(band: str | None, improved: bool = False, possible: int = 10) -> dict:
    return {
        "child": "Ada",
        "school": "Hill Primary",
        "period_words": "from Monday 16 November to Friday 20 November",
        "period_short": "16 to 20 November 2026",
        "present": 9,
        "possible": possible,
        "percent": "90%",
        "year_possible": 120,
        "year_percent": "93%",
        "improved": improved,
        "band": band,
        "parent_name": "Annabella",
    }


@pytest.mark.parametrize("band", ["expected", "at_risk", "persistent", "severe", None])
@pytest.mark.parametrize("improved", [False, True])
def test_every_band_is_worded_support_first(band, improved):
    text = templates.render("parents", "attendance_update", words(band, improved))
    said = (text.title + " " + text.body).lower()
    assert [t for t in THREATS if t in said] == []
    assert text.title == "Ada's attendance update: 16 to 20 November 2026"
    assert "Ada attended 9 of 10 sessions (90%)" in text.body
    assert ("gone up since our last update" in text.body) is improved
    assert "\n\n\n" not in text.body


def test_a_period_without_sessions_says_so_kindly():
    text = templates.render("parents", "attendance_update", words("expected", possible=0))
    assert "There were no school sessions for Ada" in text.body


def test_first_day_contacts_are_never_opted_out_of():
    off = preferences.Preferences(email=False, sms=False, attendance_updates=False)
    assert [c for c in ("app", "email", "sms") if preferences.opted_out(off, "first_day_absence", c)] == []
    assert preferences.opted_out(off, "persistent_absence", "email")
    assert not preferences.opted_out(off, "persistent_absence", "app")
    assert preferences.opted_out(off, "attendance_update", "app")


def test_the_last_representable_dates_and_non_ascii_digits_are_refused_not_crashed():
    last = dt.date.max
    assert code_of(lambda: rules.check_period(last.replace(month=1, day=1), last, TODAY)) == "future_date"
    assert code_of(lambda: rules.parse_time("1²:30")) == "bad_time"
    assert code_of(lambda: rules.parse_time("１５:３０")) == "bad_time"
