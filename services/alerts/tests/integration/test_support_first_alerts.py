"""emerging_absence and twenty_day_continuous_absence through the consumer (api.md Part 2), on
each backend: raised with their evidence, moved on by new school days, recomputed on amendments.
"""

import datetime as dt
import json

import pytest
from alerts_support import NOW, Feed, new_upn, new_urn, school_days
from sqlalchemy import delete, select, update

from alerts.models import Alert, Pupil, RecentCount, RuleScope, School
from attendance_common.events.registers import MarksRecorded, RecordedMark
from attendance_common.messaging.outbox import OutboxRow

pytestmark = pytest.mark.integration
SEP7 = dt.date(2026, 9, 7)  # a Monday, early in the 2026/27 academic year
DAYS = school_days(SEP7, 66)  # 7 Sep - 4 Dec 2026 (weekdays)
EMERGING, TWENTY = "emerging_absence", "twenty_day_continuous_absence"


async def term(feed: Feed, upn: str, upto: int, absent: dict[int, tuple[str, str]]) -> None:
    """DAYS[:upto] in one batch: present, except the days in `absent` (index -> (AM, PM))."""
    marks = []
    for i, day in enumerate(DAYS[:upto]):
        am, pm = absent.get(i, ("/", "\\"))
        marks.append(RecordedMark(upn=upn, date=day, session="AM", code=am, recorded_at=NOW))
        marks.append(RecordedMark(upn=upn, date=day, session="PM", code=pm, recorded_at=NOW))
    await feed.send(MarksRecorded(school_urn=feed.urn, la_code=feed.la_code, marks=marks))


async def one(feed: Feed, upn: str, kind: str, status: str | None = "open") -> Alert:
    alerts = [a for a in await feed.alerts(upn, status) if a.type == kind]
    assert len(alerts) == 1, alerts
    return alerts[0]


async def open_kinds(feed: Feed, upn: str) -> set[str]:
    return {kind for kind, _ in await feed.open_types(upn)}


async def cleared_reason(feed: Feed, alert_id: str) -> str:
    async with feed.database.transaction() as session:
        rows = await session.scalars(
            select(OutboxRow.data).where(
                OutboxRow.event_type == "attendance.alert.cleared", OutboxRow.data.contains(alert_id)
            )
        )
        reasons = [json.loads(r)["reason"] for r in rows]
    assert len(reasons) == 1
    return reasons[0]


def listed(alert: Alert) -> list[tuple[str, str, str]]:
    return [(m["date"], m["session"], m["code"]) for m in alert.evidence["marks"]]


# -- emerging_absence ------------------------------------------------------------------------------


async def test_ten_percent_absence_over_the_last_twenty_school_days_opens_emerging_absence(feed):
    upn = new_upn()
    await term(feed, upn, 60, {50: ("O", "O"), 51: ("I", "I")})  # 4 of the last 40; 4 of 120 this year
    alert = await one(feed, upn, EMERGING)
    assert alert.date is None and alert.rule_version.startswith("2024.1/")
    assert alert.evidence["figures"] == {
        "rate": 0.1,
        "numerator": 4,
        "denominator": 40,
        "window": {"from": DAYS[40].isoformat(), "to": DAYS[59].isoformat(), "school_days": 20},
    }
    assert listed(alert) == [
        (DAYS[50].isoformat(), "AM", "O"),
        (DAYS[50].isoformat(), "PM", "O"),
        (DAYS[51].isoformat(), "AM", "I"),
        (DAYS[51].isoformat(), "PM", "I"),
    ]
    assert "persistent_absence" not in await open_kinds(feed, upn)


async def test_three_absent_sessions_in_the_last_twenty_school_days_do_not_open_emerging_absence(feed):
    upn = new_upn()
    await term(feed, upn, 60, {50: ("O", "O"), 51: ("I", "/")})
    assert EMERGING not in await open_kinds(feed, upn)


async def test_absence_before_the_last_twenty_school_days_does_not_count(feed):
    upn = new_upn()
    await term(feed, upn, 60, {38: ("O", "O"), 39: ("O", "O")})
    assert EMERGING not in await open_kinds(feed, upn)


async def test_new_school_days_move_the_window_on_and_emerging_absence_clears_below_nine_percent(feed):
    upn, classmate = new_upn(), new_upn()
    await term(feed, upn, 60, {40: ("O", "O"), 45: ("N", "N")})
    alert = await one(feed, upn, EMERGING)
    # Day 61 is any pupil's register: the window moves on and day 40 leaves it (2 of 40: 0.05).
    await feed.marks(classmate, DAYS[60:61], "/", "\\")
    assert EMERGING not in await open_kinds(feed, upn)
    assert (await one(feed, upn, EMERGING, status="cleared")).id == alert.id
    assert await cleared_reason(feed, alert.id) == "recent rate below the clear level"


async def test_emerging_absence_opening_day_by_day_matches_one_batch(feed):
    upn = new_upn()
    day_by_day = Feed(feed.consumer, feed.database, new_urn())
    absent = {44: ("O", "O"), 58: ("G", "G"), 59: ("U", "/")}
    await term(feed, upn, 62, absent)
    for i, day in enumerate(DAYS[:62]):
        await day_by_day.marks(upn, [day], *absent.get(i, ("/", "\\")))
    # The same alert open (its evidence is the facts when it was raised: day by day, earlier).
    assert await open_kinds(feed, upn) == await open_kinds(day_by_day, upn) == {EMERGING}


async def test_persistent_absence_opening_closes_emerging_absence(feed):
    upn = new_upn()
    await term(feed, upn, 60, {50: ("O", "O"), 51: ("O", "O")})
    emerging = await one(feed, upn, EMERGING)
    await feed.marks(upn, DAYS[60:65], "O", "O")  # 14 of 130 this year: persistent absence
    assert {"persistent_absence", "penalty_threshold"} == await open_kinds(feed, upn)
    assert await cleared_reason(feed, emerging.id) == "persistent absence opened"


async def test_emerging_absence_does_not_open_while_persistent_absence_is_open(feed):
    upn = new_upn()
    await term(feed, upn, 20, {i: ("O", "\\") for i in range(0, 20, 4)})  # 5 of 40, all this year
    assert "persistent_absence" in await open_kinds(feed, upn)
    assert EMERGING not in await open_kinds(feed, upn)


async def test_amending_an_absence_in_the_window_to_present_clears_emerging_absence(feed):
    upn = new_upn()
    await term(feed, upn, 60, {50: ("O", "O"), 51: ("O", "O")})
    await one(feed, upn, EMERGING)
    await feed.amend(upn, DAYS[50], "AM", "O", "L")  # 3 of 40: 0.075
    assert EMERGING not in await open_kinds(feed, upn)


async def test_an_amendment_inside_the_window_can_open_emerging_absence(feed):
    upn = new_upn()
    await term(feed, upn, 60, {50: ("O", "O"), 51: ("O", "/")})
    assert EMERGING not in await open_kinds(feed, upn)
    await feed.amend(upn, DAYS[51], "PM", "/", "N")
    assert EMERGING in await open_kinds(feed, upn)


async def test_a_schools_emerging_days_set_in_its_rules_recounts_its_window(feed):
    upn = new_upn()
    await term(feed, upn, 59, {41: ("O", "O"), 42: ("O", "O")})
    assert EMERGING in await open_kinds(feed, upn)  # 4 of the last 20 school days' 40 sessions
    async with feed.database.transaction() as session:
        scope = RuleScope(
            scope=f"school:{feed.urn}", settings={"emerging_days": 15}, updated_at=NOW, updated_by="t"
        )
        session.add(scope)
    await feed.marks(upn, DAYS[59:60], "/", "\\")  # the last 15 school days hold no absence
    assert EMERGING not in await open_kinds(feed, upn)


async def test_a_window_never_built_is_counted_from_the_marks_at_the_schools_next_register(feed):
    upn = new_upn()
    await term(feed, upn, 59, {50: ("O", "O"), 51: ("O", "O")})
    async with feed.database.transaction() as session:  # as after migrating: nothing counted yet
        pupils = select(Pupil.id).where(Pupil.school_urn == feed.urn).scalar_subquery()
        await session.execute(delete(RecentCount).where(RecentCount.pupil_id.in_(pupils)))
        await session.execute(
            update(School).where(School.urn == feed.urn).values(recent_from=None, recent_days=None)
        )
        await session.execute(delete(Alert).where(Alert.school_urn == feed.urn))
    await feed.marks(upn, DAYS[59:60], "/", "\\")
    alert = await one(feed, upn, EMERGING)
    assert alert.evidence["figures"]["numerator"] == 4
    assert alert.evidence["figures"]["window"]["from"] == DAYS[40].isoformat()


# -- twenty_day_continuous_absence -----------------------------------------------------------------


async def test_twenty_consecutive_school_days_of_g_n_o_raise_twenty_day_continuous_absence(feed):
    upn, days = new_upn(), school_days(SEP7, 20)
    await feed.marks(upn, days[:19], "N", "O")
    assert TWENTY not in await open_kinds(feed, upn)  # 19 school days
    await feed.marks(upn, days[19:], "G", "G")
    alert = await one(feed, upn, TWENTY)
    assert alert.date is None
    assert alert.evidence["figures"] == {"school_days": 20, "from": "2026-09-07", "to": "2026-10-02"}
    assert len(listed(alert)) == 40 and listed(alert)[-1] == ("2026-10-02", "PM", "G")
    assert "ten_day_unauthorised" in await open_kinds(feed, upn)


async def test_a_late_arrival_in_the_run_means_no_twenty_day_continuous_absence(feed):
    upn, days = new_upn(), school_days(SEP7, 20)
    await feed.marks(upn, [d for d in days if d != days[9]], "O", "O")
    await feed.marks(upn, [days[9]], "U", "O")  # in school, late: not missing
    assert TWENTY not in await open_kinds(feed, upn)
    assert "ten_day_unauthorised" in await open_kinds(feed, upn)  # G/N/O/U: still a ten-day run


async def test_amending_a_day_of_the_run_to_illness_clears_twenty_day_continuous_absence(feed):
    upn, days = new_upn(), school_days(SEP7, 20)
    await feed.marks(upn, days, "O", "N")
    alert = await one(feed, upn, TWENTY)
    await feed.amend(upn, days[10], "AM", "O", "I")
    assert TWENTY not in await open_kinds(feed, upn)
    assert await cleared_reason(feed, alert.id) == "the run was broken by an amendment"


async def test_a_late_posted_day_completing_the_run_raises_twenty_day_continuous_absence(feed):
    upn, days = new_upn(), school_days(SEP7, 21)
    await feed.marks(upn, days[:7] + days[8:20], "G", "O")
    await feed.marks(upn, days[20:], "/", "\\")
    assert TWENTY not in await open_kinds(feed, upn)
    await feed.marks(upn, days[7:8], "N", "N")
    alert = await one(feed, upn, TWENTY)
    assert (alert.evidence["figures"]["from"], alert.evidence["figures"]["to"]) == (
        "2026-09-07",
        "2026-10-02",
    )


async def test_a_closure_day_inside_the_run_neither_breaks_nor_counts_towards_twenty_days(feed):
    upn, days = new_upn(), school_days(SEP7, 21)
    closed = days[12]
    await feed.marks(upn, [d for d in days if d != closed], "O", "O")
    await feed.marks(upn, [closed], "#", "#")
    alert = await one(feed, upn, TWENTY)
    assert alert.evidence["figures"]["school_days"] == 20
    assert closed.isoformat() not in {m[0] for m in listed(alert)}
