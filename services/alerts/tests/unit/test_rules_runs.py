"""The run and window alert rules, counted in school days and school weeks (domain.md 4-5).

Hand-worked examples on the 2025/26 calendar: a school day or week is one the caller lists, so
weekends, `#` closure days and holidays are simply absent from the lists.
"""

from datetime import date as D
from datetime import timedelta

from alerts.rules import best_penalty_window, longest_run, week_of

# Monday 8 September 2025, in the first full week of the 2025/26 autumn term.
TERM_MONDAY = D(2025, 9, 8)


def weekdays(start: D, n: int) -> list[D]:
    """`n` Monday-to-Friday dates from `start`, skipping weekends."""
    days, day = [], start
    while len(days) < n:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def mondays(start: D, n: int) -> list[D]:
    """`n` consecutive Mondays from `start` (itself a Monday)."""
    return [start + timedelta(weeks=i) for i in range(n)]


# Ten-day unauthorised: consecutive school days, both sessions G/N/O/U.

UNAUTHORISED_DAYS = [("G", "G"), ("N", "O"), ("O", "U"), ("U", "N"), ("N", "N")]


def unauthorised_sessions(days: list[D]) -> dict[D, tuple[str | None, str | None]]:
    """Both sessions of every day unauthorised, cycling through G, N, O and U."""
    return {day: UNAUTHORISED_DAYS[i % len(UNAUTHORISED_DAYS)] for i, day in enumerate(days)}


def test_ten_school_days_wholly_unauthorised_make_a_run_of_ten():
    days = weekdays(TERM_MONDAY, 10)
    assert longest_run(days, unauthorised_sessions(days)) == (10, days)


def test_weekends_are_not_school_days_so_they_do_not_break_the_run():
    # Wednesday 10 Sep to Tuesday 23 Sep 2025 spans two weekends; only weekdays are school days.
    days = weekdays(D(2025, 9, 10), 10)
    assert days[-1] == D(2025, 9, 23)
    assert longest_run(days, unauthorised_sessions(days))[0] == 10


def test_one_present_session_in_the_middle_breaks_the_run():
    days = weekdays(TERM_MONDAY, 10)
    sessions = unauthorised_sessions(days)
    sessions[days[5]] = ("/", "O")
    assert longest_run(days, sessions) == (5, days[:5])


def test_a_missing_pm_mark_breaks_the_run():
    days = weekdays(TERM_MONDAY, 10)
    sessions = unauthorised_sessions(days)
    sessions[days[4]] = ("O", None)
    assert longest_run(days, sessions) == (5, days[5:])


def test_a_school_day_with_no_marks_breaks_the_run():
    days = weekdays(TERM_MONDAY, 10)
    sessions = unauthorised_sessions(days)
    del sessions[days[3]]
    assert longest_run(days, sessions) == (6, days[4:])


def test_an_illness_session_breaks_the_run():
    days = weekdays(TERM_MONDAY, 10)
    sessions = unauthorised_sessions(days)
    sessions[days[6]] = ("N", "I")
    assert longest_run(days, sessions) == (6, days[:6])


def test_a_closure_day_inside_the_run_neither_counts_nor_breaks_it():
    # Monday 15 Sep 2025 is an INSET day (`#`), so it is not one of the school's school days.
    calendar = weekdays(TERM_MONDAY, 11)
    closure = D(2025, 9, 15)
    school_days = [day for day in calendar if day != closure]
    sessions = unauthorised_sessions(school_days) | {closure: ("#", "#")}
    assert longest_run(school_days, sessions) == (10, school_days)
    assert closure not in longest_run(school_days, sessions)[1]


def test_the_longest_of_several_runs_is_reported():
    days = weekdays(TERM_MONDAY, 15)
    sessions = unauthorised_sessions(days)
    sessions[days[3]] = ("/", "\\")
    sessions[days[11]] = ("M", "\\")
    assert longest_run(days, sessions) == (7, days[4:11])


def test_no_unauthorised_days_is_a_run_of_nothing():
    days = weekdays(TERM_MONDAY, 5)
    assert longest_run(days, dict.fromkeys(days, ("/", "\\"))) == (0, [])


# Penalty threshold: most G/N/O/U sessions in any 10 consecutive school weeks.


def test_ten_unauthorised_sessions_over_ten_school_weeks_fill_one_window():
    weeks = mondays(TERM_MONDAY, 10)
    assert best_penalty_window(weeks, dict.fromkeys(weeks, 1), 10) == (10, weeks)


def test_ten_unauthorised_sessions_over_eleven_school_weeks_never_fit_one_window():
    weeks = mondays(TERM_MONDAY, 11)
    best, _ = best_penalty_window(weeks, {weeks[0]: 5, weeks[-1]: 5}, 10)
    assert best == 5


def test_a_half_term_week_does_not_use_up_a_slot_in_the_window():
    # Half-term is the week of 27 Oct 2025: not a school week, so 22 Sep to 1 Dec is ten school weeks.
    weeks = [week for week in mondays(D(2025, 9, 15), 13) if week != D(2025, 10, 27)]
    first, last = D(2025, 9, 22), D(2025, 12, 1)
    best, window = best_penalty_window(weeks, {first: 5, last: 5}, 10)
    assert best == 10
    assert (window[0], window[-1], len(window)) == (first, last, 10)


def test_a_window_across_the_summer_holiday_counts_both_academic_years():
    # Summer term 2024/25 ends in the week of 14 Jul 2025; 2025/26 starts on Monday 1 Sep 2025.
    summer = mondays(D(2025, 6, 2), 7)
    autumn = mondays(D(2025, 9, 1), 7)
    by_week = dict.fromkeys(summer[2:] + autumn[:5], 1)
    best, window = best_penalty_window(summer + autumn, by_week, 10)
    assert best == 10
    assert window == summer[2:] + autumn[:5]
    assert window[0] == D(2025, 6, 16) and window[-1] == D(2025, 9, 29)


def test_fewer_school_weeks_than_the_window_makes_the_whole_run_the_window():
    weeks = mondays(TERM_MONDAY, 3)
    by_week = {weeks[0]: 4, weeks[1]: 3, weeks[2]: 2}
    assert best_penalty_window(weeks, by_week, 10) == (9, weeks)


def test_unauthorised_sessions_outside_the_school_weeks_are_not_counted():
    weeks = mondays(TERM_MONDAY, 10)
    half_term = D(2025, 10, 27)
    by_week = dict.fromkeys(weeks[:9], 1) | {half_term: 1}
    assert best_penalty_window(weeks, by_week, 10)[0] == 9


# Weeks run Monday to Sunday.


def test_a_monday_is_its_own_week():
    assert week_of(D(2025, 9, 8)) == D(2025, 9, 8)


def test_a_sunday_belongs_to_the_monday_six_days_before():
    assert week_of(D(2025, 9, 14)) == D(2025, 9, 8)


def test_a_wednesday_belongs_to_the_monday_two_days_before():
    assert week_of(D(2025, 9, 10)) == D(2025, 9, 8)


def test_a_week_can_straddle_the_start_of_the_academic_year():
    # Monday 31 Aug 2026 ends 2025/26; Tuesday 1 Sep 2026 starts 2026/27, in the same week.
    assert week_of(D(2026, 9, 1)) == week_of(D(2026, 8, 31)) == D(2026, 8, 31)
