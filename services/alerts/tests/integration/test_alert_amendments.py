"""How alerts clear or stay open: amendments, hysteresis, flag changes, order, batching, redelivery."""

import datetime as dt
import random

import pytest
from alerts_support import NOW, Feed, new_upn, new_urn, school_days
from sqlalchemy import func, select

from alerts.models import Alert
from attendance_common.events.registers import MarksRecorded, RecordedMark
from attendance_common.messaging.outbox import OutboxRow

pytestmark = pytest.mark.integration
SEP7 = dt.date(2026, 9, 7)  # a Monday, early in the 2026/27 academic year
MON = dt.date(2026, 11, 2)
RATE_FREE = {
    "first_day_absence",
    "social_worker_unexplained_absence",
    "ten_day_unauthorised",
    "fifteen_day_illness",
    "penalty_threshold",
    "overdue_n",
}
Marks = list[tuple[str, dt.date, str, str]]  # (upn, date, session, code)


async def send(feed: Feed, marks: Marks) -> None:
    """One MarksRecorded event holding these marks, in this order."""
    items = [RecordedMark(upn=u, date=d, session=s, code=c, recorded_at=NOW) for u, d, s, c in marks]
    await feed.send(MarksRecorded(school_urn=feed.urn, la_code=feed.la_code, marks=items))


def kinds(open_types: list[tuple[str, str | None]]) -> list[str]:
    return [kind for kind, _ in open_types]


async def cleared_types(feed: Feed, upn: str) -> list[str]:
    return [a.type for a in await feed.alerts(upn, status="cleared")]


# -- per-date types -------------------------------------------------------------------------------


async def test_amending_both_n_sessions_away_clears_first_day_absence(feed):
    upn = new_upn()
    await feed.marks(upn, [MON], "N", "N")
    await feed.amend(upn, MON, "AM", "N", "I")
    assert await feed.open_types(upn) == [("first_day_absence", "2026-11-02")]
    await feed.amend(upn, MON, "PM", "N", "M")
    assert await feed.open_types(upn) == []
    [alert] = await feed.alerts(upn, status="cleared")
    assert alert.type == "first_day_absence" and alert.cleared_at is not None


async def test_each_register_judges_only_its_own_dates_first_day_alerts(feed):
    """Monday's and Tuesday's alerts stay single and open while later registers come (a batch
    reads only its own dates' per-date alerts); amending Monday's N clears Monday's alone."""
    upn = new_upn()
    monday, tuesday, wednesday = school_days(MON, 3)
    await feed.marks(upn, [monday], "N", "N")
    await feed.marks(upn, [tuesday], "N", "/")
    await feed.marks(upn, [wednesday], "/", "/")
    await feed.marks(upn, [tuesday], "N", "/")  # the MIS sends Tuesday again: nothing new
    assert await feed.open_types(upn) == [
        ("first_day_absence", "2026-11-02"),
        ("first_day_absence", "2026-11-03"),
    ]
    await feed.amend(upn, monday, "AM", "N", "I")
    await feed.amend(upn, monday, "PM", "N", "I")
    assert await feed.open_types(upn) == [("first_day_absence", "2026-11-03")]
    [cleared] = await feed.alerts(upn, status="cleared")
    assert cleared.date == monday


async def test_amending_o_to_n_keeps_the_social_worker_alert_and_n_to_i_clears_it(feed):
    upn = new_upn()
    await feed.pupil(upn, social_worker=True)
    await feed.marks(upn, [MON], "O", "\\")
    await feed.amend(upn, MON, "AM", "O", "N")
    assert await feed.open_types(upn) == [
        ("first_day_absence", "2026-11-02"),
        ("social_worker_unexplained_absence", "2026-11-02"),
    ]
    await feed.amend(upn, MON, "AM", "N", "I")
    assert await feed.open_types(upn) == []
    assert sorted(await cleared_types(feed, upn)) == [
        "first_day_absence",
        "social_worker_unexplained_absence",
    ]


async def test_turning_the_social_worker_flag_on_raises_for_this_years_n_and_o_dates(feed):
    upn, days = new_upn(), school_days(MON, 3)
    await feed.pupil(upn, social_worker=False)
    await feed.marks(upn, [dt.date(2026, 7, 1)], "O", "O")  # the previous academic year
    await send(feed, [(upn, days[0], "AM", "N"), (upn, days[1], "PM", "O"), (upn, days[2], "AM", "G")])
    assert "social_worker_unexplained_absence" not in kinds(await feed.open_types(upn))
    await feed.pupil(upn, social_worker=True)
    alerts = [a for a in await feed.alerts(upn) if a.type == "social_worker_unexplained_absence"]
    assert sorted((a.date, a.evidence["marks"][0]["code"]) for a in alerts) == [
        (days[0], "N"),
        (days[1], "O"),
    ]


async def test_turning_the_social_worker_flag_off_clears_the_social_worker_alerts(feed):
    upn, days = new_upn(), school_days(MON, 2)
    await feed.pupil(upn, social_worker=True)
    await send(feed, [(upn, days[0], "AM", "N"), (upn, days[1], "AM", "O")])
    await feed.pupil(upn, social_worker=False)
    assert await feed.open_types(upn) == [("first_day_absence", "2026-11-02")]
    assert await cleared_types(feed, upn) == ["social_worker_unexplained_absence"] * 2


# -- rates: hysteresis ---------------------------------------------------------------------------


async def test_persistent_absence_stays_open_between_nine_and_ten_percent(feed):
    upn, days = new_upn(), school_days(SEP7, 17)
    await feed.marks(upn, days[:3], "I", "\\")
    await feed.marks(upn, days[3:15], "/", "\\")  # 3 / 30: opens
    await feed.marks(upn, days[15:16], "/", "\\")
    await feed.marks(upn, days[16:], "/")  # 3 / 33 = 9.1%
    assert "persistent_absence" in kinds(await feed.open_types(upn))
    assert len(await feed.alerts(upn, status=None)) == 1


async def test_persistent_absence_clears_below_nine_percent(feed):
    upn, days = new_upn(), school_days(SEP7, 17)
    await feed.marks(upn, days[:3], "I", "\\")
    await feed.marks(upn, days[3:15], "/", "\\")
    await feed.marks(upn, days[15:], "/", "\\")  # 3 / 34 = 8.8%
    assert await feed.open_types(upn) == []
    [cleared] = await feed.alerts(upn, status="cleared")
    assert cleared.type == "persistent_absence" and cleared.cleared_at is not None


async def test_persistent_absence_does_not_reopen_between_nine_and_ten_percent(feed):
    upn, days = new_upn(), school_days(SEP7, 21)
    await feed.marks(upn, days[:3], "I", "\\")
    await feed.marks(upn, days[3:15], "/", "\\")  # 3 / 30: opens
    await feed.marks(upn, days[15:20], "/", "\\")  # 3 / 40: clears
    await feed.marks(upn, days[20:], "O", "\\")  # 4 / 42 = 9.5%
    assert await feed.open_types(upn) == []
    assert await cleared_types(feed, upn) == ["persistent_absence"]


async def test_severe_absence_stays_open_at_forty_nine_percent(feed):
    upn, days = new_upn(), school_days(SEP7, 26)
    await feed.marks(upn, days[:15], "O", "\\")
    await feed.marks(upn, days[15:25], "G", "\\")
    await feed.marks(upn, days[25:], "/")  # 25 / 51 = 49.02%
    assert ("severe_absence", None) in await feed.open_types(upn)


async def test_severe_absence_clears_below_forty_nine_percent_while_persistent_absence_stays(feed):
    upn, days = new_upn(), school_days(SEP7, 26)
    await feed.marks(upn, days[:15], "O", "\\")
    await feed.marks(upn, days[15:25], "G", "\\")
    await feed.marks(upn, days[25:], "/", "\\")  # 25 / 52 = 48.1%
    assert {"persistent_absence", "severe_absence"} & set(kinds(await feed.open_types(upn))) == {
        "persistent_absence"
    }
    assert await cleared_types(feed, upn) == ["severe_absence"]


# -- ten_day_unauthorised ------------------------------------------------------------------------


async def test_amending_a_session_inside_the_run_clears_ten_day_unauthorised(feed):
    upn, days = new_upn(), school_days(MON, 10)
    await feed.marks(upn, days, "N", "O")
    await feed.amend(upn, days[6], "PM", "O", "M")
    assert "ten_day_unauthorised" not in kinds(await feed.open_types(upn))
    assert "ten_day_unauthorised" in await cleared_types(feed, upn)


async def test_an_amendment_outside_the_run_keeps_ten_day_unauthorised_open(feed):
    upn, days = new_upn(), school_days(MON, 12)
    await feed.marks(upn, days[:2], "/", "\\")
    await feed.marks(upn, days[2:], "G", "G")
    await feed.amend(upn, days[0], "AM", "/", "L")
    assert "ten_day_unauthorised" in kinds(await feed.open_types(upn))


async def test_an_amendment_completing_a_run_raises_ten_day_unauthorised(feed):
    upn, days = new_upn(), school_days(MON, 10)
    await feed.marks(upn, days[:9], "O", "O")
    await feed.marks(upn, days[9:], "O", "I")
    await feed.amend(upn, days[9], "PM", "I", "O")
    assert "ten_day_unauthorised" in kinds(await feed.open_types(upn))


async def test_the_second_week_of_a_run_arriving_first_still_raises_ten_day_unauthorised(feed):
    upn, days = new_upn(), school_days(MON, 10)
    await feed.marks(upn, days[5:], "U", "O")
    await feed.marks(upn, days[:5], "G", "O")
    [alert] = [a for a in await feed.alerts(upn) if a.type == "ten_day_unauthorised"]
    assert alert.evidence["figures"] == {"school_days": 10, "from": "2026-11-02", "to": "2026-11-13"}


# -- fifteen_day_illness -------------------------------------------------------------------------


async def test_amending_an_illness_day_below_fifteen_clears_fifteen_day_illness(feed):
    upn, days = new_upn(), school_days(SEP7, 15)
    await feed.marks(upn, days, "I", "I")
    await feed.amend(upn, days[3], "AM", "I", "M")
    assert "fifteen_day_illness" in kinds(await feed.open_types(upn))  # the PM is still I
    await feed.amend(upn, days[3], "PM", "I", "/")
    assert "fifteen_day_illness" not in kinds(await feed.open_types(upn))
    assert await cleared_types(feed, upn) == ["fifteen_day_illness"]


async def test_an_amendment_that_moves_no_count_keeps_the_year_alerts_open(feed):
    """N to O: both unauthorised, so no year count changes; the rules still see the year's counts."""
    upn, days = new_upn(), school_days(SEP7, 15)
    await feed.marks(upn, days, "I", "N")
    year_alerts = {"fifteen_day_illness", "persistent_absence", "severe_absence"}
    assert year_alerts <= set(kinds(await feed.open_types(upn)))
    await feed.amend(upn, days[3], "PM", "N", "O")
    assert year_alerts <= set(kinds(await feed.open_types(upn)))
    assert await cleared_types(feed, upn) == ["first_day_absence"]


# -- penalty_threshold ---------------------------------------------------------------------------


def mondays(first: dt.date, count: int) -> list[dt.date]:
    return [first + dt.timedelta(weeks=i) for i in range(count)]


async def test_amending_below_ten_unauthorised_sessions_clears_penalty_threshold(feed):
    upn, weeks = new_upn(), mondays(SEP7, 10)
    await feed.marks(upn, weeks, "O", "\\")
    await feed.amend(upn, weeks[4], "AM", "O", "C")
    # Absent every school day's morning (only the Mondays are school days): emerging absence stays.
    assert await feed.open_types(upn) == [("emerging_absence", None)]
    assert await cleared_types(feed, upn) == ["penalty_threshold"]


async def test_an_amendment_that_leaves_ten_sessions_keeps_penalty_threshold_open(feed):
    upn, weeks = new_upn(), mondays(SEP7, 10)
    await feed.marks(upn, weeks, "O", "\\")
    await feed.amend(upn, weeks[4], "AM", "O", "G")
    assert await feed.open_types(upn) == [("emerging_absence", None), ("penalty_threshold", None)]


# -- overdue_n -----------------------------------------------------------------------------------


async def test_amending_an_overdue_n_to_i_clears_overdue_n_and_first_day_absence(feed):
    upn, days = new_upn(), school_days(MON, 6)
    await feed.marks(upn, days[:1], "N", "\\")
    await feed.marks(new_upn(), days[1:], "/", "\\")
    assert kinds(await feed.open_types(upn)) == ["first_day_absence", "overdue_n"]
    await feed.amend(upn, days[0], "AM", "N", "I")
    assert await feed.open_types(upn) == []
    assert sorted(await cleared_types(feed, upn)) == ["first_day_absence", "overdue_n"]


async def test_amending_one_of_several_overdue_ns_keeps_overdue_n_open(feed):
    upn, days = new_upn(), school_days(MON, 7)
    await feed.marks(upn, days[:2], "N", "\\")
    await feed.marks(new_upn(), days[2:], "/", "\\")
    await feed.amend(upn, days[0], "AM", "N", "O")
    assert ("overdue_n", None) in await feed.open_types(upn)


# -- batching, order and redelivery --------------------------------------------------------------


def scenario(upn: str) -> Marks:
    """A first-day N (overdue later), a ten-day run of O/G, then fifteen AM illness days."""
    days = school_days(SEP7, 30)
    codes = [("N", "\\")] + [("O", "G")] * 10 + [("/", "\\")] + [("I", "\\")] * 15 + [("/", "\\")] * 3
    return [
        (upn, d, s, c) for d, (am, pm) in zip(days, codes, strict=True) for s, c in (("AM", am), ("PM", pm))
    ]


async def test_one_batch_day_by_day_and_in_another_order_give_the_same_open_alerts(feed):
    results = []
    for split in ("one batch", "day by day", "last day first", "shuffled batch"):
        school, upn = Feed(feed.consumer, feed.database, new_urn()), new_upn()
        await school.pupil(upn, social_worker=True)
        marks = scenario(upn)
        if split == "one batch":
            await send(school, marks)
        elif split == "shuffled batch":
            await send(school, random.Random(7).sample(marks, len(marks)))
        else:
            days = [marks[i : i + 2] for i in range(0, len(marks), 2)]
            for day in days if split == "day by day" else reversed(days):
                await send(school, day)
        results.append([t for t in await school.open_types(upn) if t[0] in RATE_FREE])
    assert results[0] == results[1] == results[2] == results[3]
    assert sorted({kind for kind, _ in results[0]}) == sorted(RATE_FREE)


async def snapshot(feed: Feed) -> tuple[list[tuple], int]:
    async with feed.database.transaction() as session:
        alerts = await session.scalars(select(Alert).where(Alert.school_urn == feed.urn).order_by(Alert.id))
        rows = [(a.id, a.type, a.date_key, a.status, a.cleared_at, a.evidence) for a in alerts]
        events = await session.scalar(select(func.count()).where(OutboxRow.data.contains(feed.urn)))
    return rows, events or 0


async def test_redelivering_any_applied_event_changes_nothing(feed):
    upn, days = new_upn(), school_days(SEP7, 12)
    await feed.pupil(upn, social_worker=True)
    await feed.marks(upn, days[:10], "N", "O")
    await feed.marks(new_upn(), days[10:], "/", "\\")
    await feed.amend(upn, days[3], "AM", "N", "I")
    await feed.pupil(upn, social_worker=False)
    before = await snapshot(feed)
    assert before[0] and before[1]
    for item in list(feed.sent):
        await feed.consumer.apply([item])
        assert await snapshot(feed) == before
    await feed.consumer.apply(list(feed.sent))
    assert await snapshot(feed) == before


async def test_a_late_posted_earlier_absence_opening_persistent_absence_has_the_whole_years_evidence(feed):
    upn, days = new_upn(), school_days(SEP7, 15)
    await feed.marks(upn, days[1:13], "/", "\\")
    await feed.marks(upn, days[13:], "O", "\\")  # 2 / 28
    await feed.marks(upn, days[:1], "M", "\\")  # 3 / 30, posted late for 7 Sep
    [alert] = [a for a in await feed.alerts(upn) if a.type == "persistent_absence"]
    assert alert.evidence["figures"]["window"] == {"from": "2026-09-01", "to": days[-1].isoformat()}
    assert [(m["date"], m["code"]) for m in alert.evidence["marks"]] == [
        ("2026-09-07", "M"),
        (days[13].isoformat(), "O"),
        (days[14].isoformat(), "O"),
    ]


async def test_the_same_marks_sent_again_in_a_new_event_raise_nothing_new(feed):
    upn, days = new_upn(), school_days(MON, 10)
    await feed.marks(upn, days, "N", "O")
    before = await snapshot(feed)
    await feed.marks(upn, days, "N", "O")
    assert await snapshot(feed) == before
