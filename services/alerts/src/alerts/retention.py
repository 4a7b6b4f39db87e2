"""What alerts keeps, and for how long (docs/retention.md).

Its copy of the marks and the counts made from them follow the register (6 years): an amendment of
any mark registers still holds must find the state it corrects. A cleared alert is evidence for
casework and legal action, kept 6 years after it cleared; open alerts stay. An enrolment goes 6
years after its deletion from roll, once its alerts and marks are gone.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement, and_, exists, not_

from alerts.models import Alert, Mark, Pupil, RecentCount, SchoolDay, WeekCount, YearCount
from attendance_common.retention import Cutoff, Rule, years_before

REGISTER_YEARS = 6


def mark_due(now: dt.datetime) -> ColumnElement[bool]:
    return Mark.date < Cutoff.years(now, REGISTER_YEARS).day


def school_day_due(now: dt.datetime) -> ColumnElement[bool]:
    return SchoolDay.date < Cutoff.years(now, REGISTER_YEARS).day


def week_count_due(now: dt.datetime) -> ColumnElement[bool]:
    """Weeks (Monday to Sunday) that ended before the cutoff."""
    return WeekCount.week < Cutoff.years(now, REGISTER_YEARS).day - dt.timedelta(days=6)


def year_count_due(now: dt.datetime) -> ColumnElement[bool]:
    """Academic years (1 September to 31 August) that ended before the cutoff."""
    return YearCount.year_start <= years_before(Cutoff.years(now, REGISTER_YEARS).day, 1)


def recent_count_due(now: dt.datetime) -> ColumnElement[bool]:
    """A pupil's counts over its school's last school days, once none of its marks remain (they
    were all older than any window, so the counts are empty)."""
    return not_(exists().where(Mark.pupil_id == RecentCount.pupil_id, not_(mark_due(now))))


def alert_due(now: dt.datetime) -> ColumnElement[bool]:
    cutoff = Cutoff.years(now, REGISTER_YEARS)
    return and_(Alert.status == "cleared", Alert.cleared_at < cutoff.moment)


def pupil_due(now: dt.datetime) -> ColumnElement[bool]:
    cutoff = Cutoff.years(now, REGISTER_YEARS)
    kept_alert = exists().where(Alert.pupil_id == Pupil.id, not_(alert_due(now)))
    kept_mark = exists().where(Mark.pupil_id == Pupil.id, not_(mark_due(now)))
    return and_(Pupil.deleted_on < cutoff.day, not_(kept_alert), not_(kept_mark))


# In order: a table's dependants before it.
RULES: tuple[Rule, ...] = (
    Rule(Mark, "6 years after the session, as registers", mark_due),
    Rule(SchoolDay, "6 years after the day", school_day_due),
    Rule(WeekCount, "until its week is 6 years past", week_count_due),
    Rule(YearCount, "until its academic year is 6 years past", year_count_due),
    Rule(RecentCount, "as long as any of its pupil's marks", recent_count_due),
    Rule(Alert, "6 years after it cleared; open alerts stay", alert_due),
    Rule(Pupil, "6 years after deletion from roll, once its alerts are gone", pupil_due),
)
