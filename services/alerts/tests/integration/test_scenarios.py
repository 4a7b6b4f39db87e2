"""Alerts from marks, end to end through the consumer's apply path, on PostgreSQL and SQLite."""

import datetime as dt

import pytest
from alerts_support import new_upn, school_days

pytestmark = pytest.mark.integration
MON = dt.date(2026, 11, 2)


async def test_an_n_raises_first_day_absence_and_amending_it_to_i_clears_it(feed):
    upn = new_upn()
    await feed.pupil(upn)
    await feed.marks(upn, [MON], "N")
    assert await feed.open_types(upn) == [("first_day_absence", "2026-11-02")]
    await feed.amend(upn, MON, "AM", "N", "I")
    assert await feed.open_types(upn) == []
    cleared = await feed.alerts(upn, status="cleared")
    assert [a.type for a in cleared] == ["first_day_absence"]


async def test_a_redelivered_mark_never_raises_a_second_alert(feed):
    upn = new_upn()
    await feed.marks(upn, [MON], "N")
    await feed.consumer.apply([feed.sent[-1]])
    assert len(await feed.alerts(upn, status=None)) == 1


async def test_ten_percent_absence_over_thirty_sessions_opens_persistent_absence(feed):
    upn = new_upn()
    days = school_days(dt.date(2026, 9, 7), 15)
    await feed.marks(upn, days[:12], "/", "\\")
    await feed.marks(upn, days[12:], "I", "\\")
    assert ("persistent_absence", None) in await feed.open_types(upn)


async def test_ten_school_days_wholly_unauthorised_raise_ten_day_unauthorised(feed):
    upn = new_upn()
    days = school_days(dt.date(2026, 10, 5), 10)
    await feed.marks(upn, days[:5], "O", "O")
    assert "ten_day_unauthorised" not in [t for t, _ in await feed.open_types(upn)]
    await feed.marks(upn, days[5:], "G", "U")
    assert "ten_day_unauthorised" in [t for t, _ in await feed.open_types(upn)]
    await feed.amend(upn, days[4], "PM", "O", "M")
    assert "ten_day_unauthorised" not in [t for t, _ in await feed.open_types(upn)]
