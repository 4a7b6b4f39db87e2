"""Alerts across the academic-year boundary (31 August / 1 September) and amendments to last year."""

import datetime as dt

import pytest
from alerts_support import new_upn, school_days

pytestmark = pytest.mark.integration
JULY = dt.date(2026, 7, 6)  # a Monday in the 2025/26 academic year
SEP7 = dt.date(2026, 9, 7)  # a Monday in the 2026/27 academic year
MON = dt.date(2026, 11, 2)


def kinds(open_types: list[tuple[str, str | None]]) -> list[str]:
    return [kind for kind, _ in open_types]


def mondays(first: dt.date, count: int) -> list[dt.date]:
    return [first + dt.timedelta(weeks=i) for i in range(count)]


async def test_turning_the_social_worker_flag_off_clears_a_social_worker_alert_from_last_year(feed):
    upn = new_upn()
    await feed.pupil(upn, social_worker=True)
    await feed.marks(upn, [JULY], "O", "\\")
    await feed.marks(upn, [SEP7], "/", "\\")
    await feed.pupil(upn, social_worker=False)
    assert await feed.open_types(upn) == []


async def test_an_amendment_to_last_years_marks_keeps_this_years_ten_day_run_open(feed):
    upn = new_upn()
    await feed.marks(upn, [JULY], "/", "\\")
    await feed.marks(upn, school_days(MON, 10), "O", "O")
    await feed.amend(upn, JULY, "AM", "/", "L")
    assert "ten_day_unauthorised" in kinds(await feed.open_types(upn))


async def test_fifteen_day_illness_stays_open_into_the_next_academic_year(feed):
    upn = new_upn()
    await feed.marks(upn, school_days(dt.date(2026, 6, 15), 15), "I", "\\")
    await feed.marks(upn, [SEP7], "/", "\\")
    assert "fifteen_day_illness" in kinds(await feed.open_types(upn))


async def test_an_unrelated_amendment_keeps_a_penalty_window_across_the_summer_open(feed):
    upn = new_upn()
    await feed.marks(upn, mondays(dt.date(2026, 6, 15), 5), "G", "\\")
    await feed.marks(upn, mondays(SEP7, 5), "N", "\\")
    await feed.amend(upn, dt.date(2026, 6, 15), "PM", "\\", "L")
    assert ("penalty_threshold", None) in await feed.open_types(upn)


async def test_illness_days_in_the_previous_academic_year_do_not_count(feed):
    upn = new_upn()
    await feed.marks(upn, school_days(JULY, 14), "I", "\\")
    await feed.marks(upn, [SEP7], "I", "\\")
    assert "fifteen_day_illness" not in kinds(await feed.open_types(upn))


async def test_illness_days_of_last_year_and_a_new_year_mark_in_one_batch_raise_fifteen_day_illness(feed):
    upn, days = new_upn(), school_days(dt.date(2026, 6, 15), 15)
    await feed.marks(upn, [*days, SEP7], "I", "\\")  # 15 days in 2025/26, 1 in 2026/27
    [alert] = [a for a in await feed.alerts(upn) if a.type == "fifteen_day_illness"]
    assert alert.evidence["figures"] == {
        "illness_days": 15,
        "threshold": 15,
        "window": {"from": "2025-09-01", "to": days[-1].isoformat()},
    }
    assert len(alert.evidence["marks"]) == 15


async def test_amending_last_years_illness_below_fifteen_clears_fifteen_day_illness_in_the_new_year(feed):
    upn, days = new_upn(), school_days(dt.date(2026, 6, 15), 15)
    await feed.marks(upn, days, "I", "\\")
    await feed.marks(upn, school_days(SEP7, 3), "/", "\\")
    await feed.amend(upn, days[0], "AM", "I", "M")
    assert "fifteen_day_illness" not in kinds(await feed.open_types(upn))


async def test_an_amendment_to_last_years_marks_keeps_this_years_persistent_absence_open(feed):
    upn, days = new_upn(), school_days(SEP7, 15)
    await feed.marks(upn, school_days(JULY, 5), "/", "\\")
    await feed.marks(upn, days, "O", "\\")  # 50% this year: severe and persistent
    await feed.amend(upn, JULY, "AM", "/", "L")
    assert {"persistent_absence", "severe_absence"} <= set(kinds(await feed.open_types(upn)))


async def test_a_ten_day_run_across_the_summer_holiday_survives_an_unrelated_amendment(feed):
    upn = new_upn()
    await feed.marks(upn, [JULY], "/", "\\")
    await feed.marks(upn, school_days(dt.date(2026, 7, 13), 5), "G", "G")
    await feed.marks(upn, school_days(SEP7, 5), "O", "O")
    assert "ten_day_unauthorised" in kinds(await feed.open_types(upn))
    await feed.amend(upn, JULY, "PM", "\\", "L")
    assert "ten_day_unauthorised" in kinds(await feed.open_types(upn))


async def test_an_amendment_moving_last_years_counts_keeps_this_years_severe_absence_open(feed):
    """The amendment changes only 2025/26's counts; this year's rates are judged by 2026/27's."""
    upn, days = new_upn(), school_days(SEP7, 15)
    await feed.marks(upn, school_days(JULY, 5), "/", "\\")
    await feed.marks(upn, days, "O", "\\")  # 50% this year: severe and persistent
    await feed.amend(upn, JULY, "AM", "/", "M")  # last year: 1 absence in 10
    assert {"persistent_absence", "severe_absence"} <= set(kinds(await feed.open_types(upn)))
