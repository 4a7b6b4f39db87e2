"""Each of the eight alert types opens when api.md says, with its evidence, through the consumer."""

import datetime as dt

import pytest
from alerts_support import NOW, Feed, new_upn, new_urn, school_days

from alerts.models import Alert, RuleScope
from attendance_common.events.registers import MarksRecorded, RecordedMark

pytestmark = pytest.mark.integration
SEP7 = dt.date(2026, 9, 7)  # a Monday, early in the 2026/27 academic year
MON = dt.date(2026, 11, 2)


async def send(feed: Feed, upn: str, *marks: tuple[dt.date, str, str]) -> None:
    """One MarksRecorded event holding these (date, session, code) marks of one pupil."""
    items = [RecordedMark(upn=upn, date=d, session=s, code=c, recorded_at=NOW) for d, s, c in marks]
    await feed.send(MarksRecorded(school_urn=feed.urn, la_code=feed.la_code, marks=items))


async def the_open(feed: Feed, upn: str, kind: str) -> Alert:
    alerts = [a for a in await feed.alerts(upn) if a.type == kind]
    assert len(alerts) == 1, alerts
    return alerts[0]


def listed(alert: Alert) -> list[tuple[str, str, str]]:
    return [(m["date"], m["session"], m["code"]) for m in alert.evidence["marks"]]


def kinds(open_types: list[tuple[str, str | None]]) -> list[str]:
    return [kind for kind, _ in open_types]


# -- first_day_absence ---------------------------------------------------------------------------


async def test_n_on_two_dates_raises_one_first_day_absence_alert_per_date(feed):
    upn, days = new_upn(), school_days(MON, 2)
    await feed.marks(upn, days, "N", "\\")
    assert await feed.open_types(upn) == [
        ("first_day_absence", "2026-11-02"),
        ("first_day_absence", "2026-11-03"),
    ]
    for alert, day in zip(sorted(await feed.alerts(upn), key=lambda a: a.date), days, strict=True):
        assert alert.evidence["figures"] == {"sessions": 1}
        assert listed(alert) == [(day.isoformat(), "AM", "N")]


async def test_n_in_both_sessions_raises_a_single_first_day_absence_alert_for_the_date(feed):
    upn = new_upn()
    await feed.marks(upn, [MON], "N", "N")
    alert = await the_open(feed, upn, "first_day_absence")
    assert alert.date == MON and alert.rule_version.startswith("2024.1/")
    assert listed(alert) == [("2026-11-02", "AM", "N"), ("2026-11-02", "PM", "N")]


async def test_first_day_absence_stays_open_when_the_pm_after_an_am_n_is_present(feed):
    upn = new_upn()
    await feed.marks(upn, [MON], "N")
    await send(feed, upn, (MON, "PM", "\\"))
    assert await feed.open_types(upn) == [("first_day_absence", "2026-11-02")]


async def test_a_late_posted_n_for_an_earlier_date_raises_first_day_absence_for_that_date(feed):
    upn, days = new_upn(), school_days(MON, 5)
    await feed.marks(upn, days[1:], "/", "\\")
    await feed.marks(upn, days[:1], "N", "\\")
    assert await feed.open_types(upn) == [("first_day_absence", "2026-11-02")]


# -- social_worker_unexplained_absence -----------------------------------------------------------


async def test_n_and_o_for_a_pupil_with_a_social_worker_raise_one_alert_per_date(feed):
    upn, days = new_upn(), school_days(MON, 3)
    await feed.pupil(upn, social_worker=True)
    await send(
        feed, upn, (days[0], "AM", "N"), (days[0], "PM", "\\"), (days[1], "AM", "O"), (days[1], "PM", "O")
    )
    await send(feed, upn, (days[2], "AM", "/"), (days[2], "PM", "\\"))
    alerts = [a for a in await feed.alerts(upn) if a.type == "social_worker_unexplained_absence"]
    assert [(a.date, listed(a), a.evidence["figures"]) for a in sorted(alerts, key=lambda a: a.date)] == [
        (days[0], [("2026-11-02", "AM", "N")], {"sessions": 1}),
        (days[1], [("2026-11-03", "AM", "O"), ("2026-11-03", "PM", "O")], {"sessions": 2}),
    ]


async def test_n_for_a_pupil_without_a_social_worker_raises_no_social_worker_alert(feed):
    upn = new_upn()
    await feed.pupil(upn, social_worker=False)
    await feed.marks(upn, [MON], "N", "O")
    assert await feed.open_types(upn) == [("first_day_absence", "2026-11-02")]


async def test_absence_codes_other_than_n_and_o_raise_no_social_worker_alert(feed):
    upn = new_upn()
    await feed.pupil(upn, social_worker=True)
    await feed.marks(upn, school_days(MON, 2), "G", "U")
    await feed.marks(upn, school_days(MON + dt.timedelta(days=2), 1), "I", "M")
    assert await feed.open_types(upn) == []


# -- persistent_absence and severe_absence -------------------------------------------------------


async def test_ten_percent_absence_over_thirty_sessions_opens_persistent_absence_with_its_figures(feed):
    upn, days = new_upn(), school_days(SEP7, 15)
    await feed.marks(upn, days[:3], "O", "\\")
    assert await feed.open_types(upn) == []  # 50% but only 6 possible sessions
    await feed.marks(upn, days[3:], "/", "\\")
    alert = await the_open(feed, upn, "persistent_absence")
    assert alert.date is None
    assert alert.evidence["figures"] == {
        "rate": 0.1,
        "numerator": 3,
        "denominator": 30,
        "window": {"from": "2026-09-01", "to": days[-1].isoformat()},
    }
    assert listed(alert) == [(d.isoformat(), "AM", "O") for d in days[:3]]


async def test_ten_percent_over_twenty_nine_sessions_does_not_open_persistent_absence(feed):
    upn, days = new_upn(), school_days(SEP7, 15)
    await feed.marks(upn, days[:3], "I", "\\")
    await feed.marks(upn, days[3:14], "/", "\\")
    await feed.marks(upn, days[14:], "/")  # 3 / 29
    assert "persistent_absence" not in kinds(await feed.open_types(upn))
    await send(feed, upn, (days[14], "PM", "\\"))  # 3 / 30
    assert "persistent_absence" in kinds(await feed.open_types(upn))


async def test_a_school_scope_minimum_of_possible_sessions_applies_to_that_school_only(feed):
    async with feed.database.transaction() as session:
        session.add(
            RuleScope(
                scope=f"school:{feed.urn}",
                settings={"min_possible_sessions": 10},
                updated_at=NOW,
                updated_by="t",
            )
        )
    other = Feed(feed.consumer, feed.database, new_urn())
    upn, days = new_upn(), school_days(SEP7, 5)
    for school in (feed, other):
        await school.marks(upn, days[:1], "I", "\\")
        await school.marks(upn, days[1:], "/", "\\")  # 1 / 10
    assert await feed.open_types(upn) == [("persistent_absence", None)]
    assert await other.open_types(upn) == []


async def test_fifty_percent_over_thirty_sessions_opens_severe_and_persistent_absence(feed):
    upn, days = new_upn(), school_days(SEP7, 15)
    await feed.marks(upn, days, "O", "\\")
    assert ("severe_absence", None) in await feed.open_types(upn)
    alert = await the_open(feed, upn, "severe_absence")
    assert {k: alert.evidence["figures"][k] for k in ("rate", "numerator", "denominator")} == {
        "rate": 0.5,
        "numerator": 15,
        "denominator": 30,
    }
    assert len(listed(alert)) == 15
    assert ("persistent_absence", None) in await feed.open_types(upn)


# -- ten_day_unauthorised ------------------------------------------------------------------------


async def test_ten_school_days_wholly_unauthorised_raise_ten_day_unauthorised_with_the_run(feed):
    upn, days = new_upn(), school_days(MON, 10)
    await feed.marks(upn, days[:9], "O", "U")
    assert "ten_day_unauthorised" not in kinds(await feed.open_types(upn))
    await feed.marks(upn, days[9:], "G", "N")
    alert = await the_open(feed, upn, "ten_day_unauthorised")
    assert alert.date is None
    assert alert.evidence["figures"] == {"school_days": 10, "from": "2026-11-02", "to": "2026-11-13"}
    assert len(listed(alert)) == 20 and listed(alert)[-2:] == [
        ("2026-11-13", "AM", "G"),
        ("2026-11-13", "PM", "N"),
    ]


async def test_a_whole_school_closure_day_inside_the_run_neither_breaks_nor_counts(feed):
    upn, days = new_upn(), school_days(MON, 11)
    closed = days[5]
    await feed.marks(upn, [d for d in days if d != closed], "O", "O")
    await feed.marks(upn, [closed], "#", "#")
    alert = await the_open(feed, upn, "ten_day_unauthorised")
    assert alert.evidence["figures"] == {"school_days": 10, "from": "2026-11-02", "to": "2026-11-16"}
    assert closed.isoformat() not in {m[0] for m in listed(alert)}


async def test_a_missing_pm_mark_breaks_the_ten_day_run(feed):
    upn, days = new_upn(), school_days(MON, 10)
    await feed.marks(upn, [d for d in days if d != days[4]], "O", "O")
    await feed.marks(upn, [days[4]], "O")
    assert "ten_day_unauthorised" not in kinds(await feed.open_types(upn))


async def test_a_school_day_on_which_the_pupil_has_no_mark_breaks_the_ten_day_run(feed):
    upn, days = new_upn(), school_days(MON, 10)
    await feed.marks(new_upn(), days, "/", "\\")  # another pupil makes every day a school day
    await feed.marks(upn, [d for d in days if d != days[4]], "O", "O")
    assert "ten_day_unauthorised" not in kinds(await feed.open_types(upn))


async def test_unauthorised_days_far_apart_in_one_batch_do_not_join_into_a_ten_day_run(feed):
    upn, days = new_upn(), school_days(SEP7, 40)
    await feed.marks(new_upn(), days, "/", "\\")
    runs = {*days[14:19], *days[30:35]}  # two runs of five, eleven present days apart
    await feed.marks(upn, [d for d in days if d in runs], "O", "O")
    await feed.marks(upn, [d for d in days if d not in runs and d not in (days[9], days[39])], "/", "\\")
    await feed.marks(upn, [days[9], days[39]], "G", "G")
    assert "ten_day_unauthorised" not in kinds(await feed.open_types(upn))


# -- fifteen_day_illness -------------------------------------------------------------------------


async def test_fifteen_school_days_with_an_illness_session_raise_fifteen_day_illness(feed):
    upn, days = new_upn(), school_days(SEP7, 30)
    ill = days[::2]  # not consecutive; an AM-only I counts as an illness day
    await feed.marks(upn, days[1::2], "/", "\\")
    await feed.marks(upn, ill[:14], "I", "\\")
    assert "fifteen_day_illness" not in kinds(await feed.open_types(upn))
    await feed.marks(upn, ill[14:], "I", "\\")
    alert = await the_open(feed, upn, "fifteen_day_illness")
    assert alert.evidence["figures"]["illness_days"] == 15
    assert listed(alert) == [(d.isoformat(), "AM", "I") for d in ill]


async def test_illness_in_both_sessions_of_a_day_counts_as_one_illness_day(feed):
    upn, days = new_upn(), school_days(SEP7, 14)
    await feed.marks(upn, days, "I", "I")
    await feed.marks(upn, [days[0]], "I", "I")  # re-sent: still 14 days
    assert "fifteen_day_illness" not in kinds(await feed.open_types(upn))


async def test_illness_evidence_lists_every_illness_day_when_an_earlier_day_completes_the_count(feed):
    upn, days = new_upn(), school_days(SEP7, 15)
    await feed.marks(upn, days[1:], "I", "\\")
    await feed.marks(upn, days[:1], "I", "\\")
    alert = await the_open(feed, upn, "fifteen_day_illness")
    assert listed(alert) == [(d.isoformat(), "AM", "I") for d in days]


# -- penalty_threshold ---------------------------------------------------------------------------


def mondays(first: dt.date, count: int, skip: tuple[int, ...] = ()) -> list[dt.date]:
    """`count` Mondays from `first`, leaving out the weeks at the `skip` offsets (half-terms)."""
    weeks = [first + dt.timedelta(weeks=i) for i in range(count + len(skip))]
    return [w for i, w in enumerate(weeks) if i not in skip]


async def test_ten_unauthorised_sessions_within_ten_school_weeks_open_penalty_threshold(feed):
    upn, weeks = new_upn(), mondays(SEP7, 10)
    await feed.marks(upn, weeks[:9], "O", "\\")
    assert "penalty_threshold" not in kinds(await feed.open_types(upn))
    await feed.marks(upn, weeks[9:], "U", "\\")
    alert = await the_open(feed, upn, "penalty_threshold")
    assert alert.evidence["figures"] == {
        "sessions": 10,
        "threshold": 10,
        "window": {"school_weeks": 10, "from": "2026-09-07", "to": "2026-11-15"},
    }
    assert listed(alert) == [(w.isoformat(), "AM", "O") for w in weeks[:9]] + [("2026-11-09", "AM", "U")]


async def test_ten_unauthorised_sessions_spread_over_eleven_school_weeks_do_not_open_penalty_threshold(feed):
    upn, weeks = new_upn(), mondays(SEP7, 11)
    await feed.marks(upn, [weeks[5]], "/", "\\")
    await feed.marks(upn, [w for w in weeks if w != weeks[5]], "G", "\\")
    assert "penalty_threshold" not in kinds(await feed.open_types(upn))


async def test_a_half_term_week_without_school_days_does_not_use_up_a_penalty_window_slot(feed):
    upn, weeks = new_upn(), mondays(dt.date(2026, 10, 5), 10, skip=(3,))  # 26 Oct: half-term
    await feed.marks(upn, weeks, "O", "\\")
    alert = await the_open(feed, upn, "penalty_threshold")
    assert alert.evidence["figures"]["window"] == {
        "school_weeks": 10,
        "from": "2026-10-05",
        "to": "2026-12-20",
    }


async def test_a_penalty_window_spans_the_summer_into_the_next_academic_year(feed):
    upn = new_upn()
    await feed.marks(upn, mondays(dt.date(2026, 6, 15), 5), "G", "\\")
    await feed.marks(upn, mondays(SEP7, 5), "N", "\\")
    alert = await the_open(feed, upn, "penalty_threshold")
    assert alert.evidence["figures"]["window"] == {
        "school_weeks": 10,
        "from": "2026-06-15",
        "to": "2026-10-11",
    }
    assert len(listed(alert)) == 10


# -- overdue_n -----------------------------------------------------------------------------------


async def test_an_n_with_five_further_school_days_recorded_raises_overdue_n(feed):
    upn, days = new_upn(), school_days(MON, 6)
    await feed.marks(upn, days[:1], "N", "\\")
    await feed.marks(new_upn(), days[1:], "/", "\\")  # any pupil's marks make school days
    alert = await the_open(feed, upn, "overdue_n")
    assert alert.date is None
    assert alert.evidence["figures"] == {"overdue_marks": 1, "school_days": 5}
    assert listed(alert) == [("2026-11-02", "AM", "N")]


async def test_an_n_becomes_overdue_on_the_fifth_further_school_day_posted_one_day_at_a_time(feed):
    upn, days = new_upn(), school_days(MON, 6)
    await feed.marks(upn, days[:1], "N", "\\")
    for day in days[1:5]:  # a register a day, as schools post them
        await feed.marks(new_upn(), [day], "/", "\\")
    assert "overdue_n" not in kinds(await feed.open_types(upn))
    await feed.marks(new_upn(), days[5:], "/", "\\")
    assert listed(await the_open(feed, upn, "overdue_n")) == [("2026-11-02", "AM", "N")]


async def test_an_n_with_four_further_school_days_recorded_is_not_yet_overdue(feed):
    upn, days = new_upn(), school_days(MON, 5)
    await feed.marks(upn, days[:1], "N", "\\")
    await feed.marks(new_upn(), days[1:], "/", "\\")
    assert await feed.open_types(upn) == [("first_day_absence", "2026-11-02")]


async def test_closure_days_after_an_n_do_not_count_towards_it_being_overdue(feed):
    upn, other, days = new_upn(), new_upn(), school_days(MON, 6)
    await feed.marks(upn, days[:1], "N", "\\")
    await feed.marks(other, days[1:5], "/", "\\")
    await feed.marks(other, days[5:], "#", "#")
    await feed.marks(upn, days[5:], "#", "#")
    assert "overdue_n" not in kinds(await feed.open_types(upn))


async def test_a_late_posted_n_already_five_school_days_old_is_overdue_at_once(feed):
    upn, days = new_upn(), school_days(MON, 6)
    await feed.marks(upn, days[1:], "/", "\\")
    await feed.marks(upn, days[:1], "/", "N")
    assert ("overdue_n", None) in await feed.open_types(upn)


async def test_several_overdue_ns_make_one_overdue_n_alert_for_the_pupil(feed):
    upn, days = new_upn(), school_days(MON, 7)
    await feed.marks(upn, days[:1], "N", "N")
    await feed.marks(upn, days[1:2], "N", "\\")
    await feed.marks(new_upn(), days[2:], "/", "\\")
    alert = await the_open(feed, upn, "overdue_n")
    assert alert.evidence["figures"]["overdue_marks"] == 3
    assert [m[:2] for m in listed(alert)] == [
        ("2026-11-02", "AM"),
        ("2026-11-02", "PM"),
        ("2026-11-03", "AM"),
    ]
    assert [a.type for a in await feed.alerts(upn, status=None)].count("overdue_n") == 1
