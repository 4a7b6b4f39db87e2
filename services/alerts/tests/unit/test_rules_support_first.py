"""The two early-support rules (api.md Part 2, domain.md 5 and 10), worked by hand.

`emerging_absence`: the absence rate over the school's last 20 school days, >= 0.10 with at least 20
possible sessions, clearing below 0.09, never while persistent absence is open.
`twenty_day_continuous_absence`: 20 consecutive school days with both sessions G, N or O.
"""

from datetime import date as D
from datetime import timedelta
from fractions import Fraction

from alerts.rules import (
    CONTINUOUS_ABSENCE_CODES,
    DEFAULT,
    emerging_absence_holds,
    longest_run,
    merge,
    recent_window,
    window_counts,
)
from attendance_common.codes import Counts

TERM_MONDAY = D(2025, 9, 8)


def weekdays(start: D, n: int) -> list[D]:
    days, day = [], start
    while len(days) < n:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def holds(counts: Counts, *, is_open: bool = False, persistent_open: bool = False) -> bool:
    return emerging_absence_holds(counts, is_open=is_open, persistent_open=persistent_open, t=DEFAULT)


def absent(absences: int, possible: int) -> Counts:
    return Counts(present=possible - absences, unauthorised_absence=absences)


# -- the defaults are api.md's -------------------------------------------------------------------


def test_emerging_defaults_are_api_md_rate_clear_rate_and_twenty_school_days():
    assert DEFAULT.emerging_rate == Fraction(1, 10)
    assert DEFAULT.emerging_clear_rate == Fraction(9, 100)
    assert DEFAULT.emerging_days == 20
    assert DEFAULT.emerging_min_possible_sessions == 20
    assert DEFAULT.twenty_day_run_days == 20
    assert {"emerging_absence", "twenty_day_continuous_absence"} <= DEFAULT.enabled


def test_emerging_fields_are_set_per_scope_like_the_other_thresholds():
    t = merge(DEFAULT, {"emerging_rate": 0.08, "emerging_clear_rate": 0.07, "emerging_days": 15})
    assert (t.emerging_rate, t.emerging_clear_rate, t.emerging_days) == (
        Fraction(8, 100),
        Fraction(7, 100),
        15,
    )
    assert t.as_json()["emerging_rate"] == 0.08


# -- emerging_absence: opening ---------------------------------------------------------------------


def test_four_absent_sessions_of_forty_open_emerging_absence():
    assert holds(absent(4, 40))  # exactly 0.10


def test_three_absent_sessions_of_forty_do_not_open_emerging_absence():
    assert not holds(absent(3, 40))  # 0.075


def test_two_absent_of_twenty_possible_sessions_open_but_of_nineteen_do_not():
    assert holds(absent(2, 20))  # 0.10 with the minimum 20 possible sessions
    assert not holds(absent(2, 19))  # 0.105, but one possible session short


def test_authorised_absence_counts_towards_emerging_absence_like_unauthorised():
    assert holds(Counts(present=36, authorised_absence=4))  # illness is absence too (DfE measure)


def test_emerging_absence_does_not_open_while_persistent_absence_is_open():
    assert not holds(absent(20, 40), persistent_open=True)


def test_an_open_emerging_absence_clears_when_persistent_absence_opens():
    assert not holds(absent(20, 40), is_open=True, persistent_open=True)


# -- emerging_absence: hysteresis at 0.09 ----------------------------------------------------------


def test_an_open_emerging_absence_stays_open_at_exactly_nine_percent():
    assert holds(absent(9, 100), is_open=True)


def test_an_open_emerging_absence_clears_just_below_nine_percent():
    assert not holds(absent(8, 90), is_open=True)  # 0.0889
    assert not holds(absent(3, 40), is_open=True)  # 0.075


def test_nine_percent_does_not_open_a_closed_emerging_absence():
    assert not holds(absent(9, 100))


def test_an_open_emerging_absence_stays_open_with_fewer_than_twenty_possible_sessions():
    # The minimum is for opening; a rate still at 0.09+ keeps the alert (as persistent absence does).
    assert holds(absent(1, 10), is_open=True)
    assert not holds(Counts(), is_open=True)  # no possible sessions at all: nothing to hold


# -- the window: the school's last 20 school days --------------------------------------------------


def test_the_window_is_the_last_twenty_of_the_schools_school_days():
    days = weekdays(TERM_MONDAY, 25)
    assert recent_window(days, 20) == days[5:]
    assert recent_window(days[:7], 20) == days[:7]  # fewer than 20 held: all of them


def test_the_window_moves_forward_as_new_school_days_arrive_and_old_absence_drops_out():
    days = weekdays(TERM_MONDAY, 22)
    # Absent both sessions on the first two school days, present every other day.
    sessions = {d: (("O", "O") if i < 2 else ("/", "\\")) for i, d in enumerate(days)}
    first = window_counts(recent_window(days[:20], 20), sessions)
    assert (first.absence_sessions, first.possible_sessions) == (4, 40)
    assert holds(first)
    # Day 21 arrives: the first absent day leaves the window.
    second = window_counts(recent_window(days[:21], 20), sessions)
    assert (second.absence_sessions, second.possible_sessions) == (2, 40)
    assert not holds(second, is_open=True)  # 0.05: cleared
    # Day 22: no absence left in the window.
    assert window_counts(recent_window(days, 20), sessions).absence_sessions == 0


def test_a_closure_day_is_not_a_school_day_so_the_window_reaches_one_day_further_back():
    days = weekdays(TERM_MONDAY, 21)
    school_days = [d for d in days if d != days[10]]  # days[10]: `#` for everyone
    assert recent_window(school_days, 20) == school_days
    assert days[0] in recent_window(school_days, 20)


def test_days_without_a_mark_and_not_counted_codes_add_no_possible_sessions():
    days = weekdays(TERM_MONDAY, 20)
    sessions = {days[0]: ("O", "O"), days[1]: ("D", "D"), days[2]: ("Y1", "/")}
    counts = window_counts(days, sessions)
    assert (counts.absence_sessions, counts.possible_sessions) == (2, 3)


# -- twenty_day_continuous_absence ---------------------------------------------------------------

GNO = [("G", "G"), ("N", "O"), ("O", "N"), ("N", "N"), ("O", "O")]


def gno(days: list[D]) -> dict[D, tuple[str | None, str | None]]:
    return {day: GNO[i % len(GNO)] for i, day in enumerate(days)}


def test_twenty_consecutive_school_days_of_g_n_o_make_a_twenty_day_run():
    days = weekdays(TERM_MONDAY, 20)
    assert longest_run(days, gno(days), CONTINUOUS_ABSENCE_CODES) == (20, days)


def test_nineteen_consecutive_school_days_of_g_n_o_are_one_short():
    days = weekdays(TERM_MONDAY, 20)
    sessions = gno(days[1:])
    sessions[days[0]] = ("/", "\\")
    length, _ = longest_run(days, sessions, CONTINUOUS_ABSENCE_CODES)
    assert length == 19 < DEFAULT.twenty_day_run_days


def test_an_illness_session_breaks_the_twenty_day_run():
    days = weekdays(TERM_MONDAY, 21)
    sessions = gno(days)
    sessions[days[10]] = ("I", "O")  # the child was ill that morning: known, not missing
    assert longest_run(days, sessions, CONTINUOUS_ABSENCE_CODES)[0] == 10


def test_a_late_arrival_after_the_register_closed_breaks_the_twenty_day_run():
    days = weekdays(TERM_MONDAY, 21)
    sessions = gno(days)
    sessions[days[5]] = ("U", "O")  # U counts for the ten-day run, but the child was in school
    assert longest_run(days, sessions, CONTINUOUS_ABSENCE_CODES)[0] == 15
    assert longest_run(days, sessions)[0] == 21  # the ten-day run's G/N/O/U: unbroken


def test_a_missing_session_breaks_the_twenty_day_run():
    days = weekdays(TERM_MONDAY, 20)
    sessions = gno(days)
    sessions[days[19]] = ("O", None)
    assert longest_run(days, sessions, CONTINUOUS_ABSENCE_CODES)[0] == 19


def test_a_closure_day_inside_the_run_neither_counts_nor_breaks_it():
    days = weekdays(TERM_MONDAY, 21)
    school_days = [d for d in days if d != days[7]]
    assert longest_run(school_days, gno(days), CONTINUOUS_ABSENCE_CODES)[0] == 20
