"""What registers keeps, and for how long (docs/retention.md): every register entry 6 years.

A mark and its history go together once the session, the mark's recording and its last amendment
are all more than 6 years ago (domain.md section 1: every entry is kept at least 6 years); an
enrolment goes 6 years after its deletion from roll, once none of its marks remain.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import ColumnElement, and_, exists, not_, or_, select
from sqlalchemy.orm import aliased

from attendance_common.retention import Cutoff, Rule
from registers.models import AbsenceReport, LeaveRequest, Mark, MarkChange, MarkMonthCount, Pupil

REGISTER_YEARS = 6


def mark_due(now: dt.datetime) -> ColumnElement[bool]:
    cutoff = Cutoff.years(now, REGISTER_YEARS)
    later = aliased(MarkChange)
    amended_since = exists().where(later.mark_id == Mark.id, later.changed_at >= cutoff.moment)
    return and_(Mark.date < cutoff.day, Mark.recorded_at < cutoff.moment, not_(amended_since))


def mark_change_due(now: dt.datetime) -> ColumnElement[bool]:
    return MarkChange.mark_id.in_(select(Mark.id).where(mark_due(now)))


def month_count_due(now: dt.datetime) -> ColumnElement[bool]:
    """Months that ended before the cutoff: their marks are gone, so their sums go too."""
    day = Cutoff.years(now, REGISTER_YEARS).day
    return MarkMonthCount.month < day.replace(day=1)


def pupil_due(now: dt.datetime) -> ColumnElement[bool]:
    cutoff = Cutoff.years(now, REGISTER_YEARS)
    kept_mark = exists().where(Mark.pupil_id == Pupil.id, not_(mark_due(now)))
    kept_month = exists().where(MarkMonthCount.pupil_id == Pupil.id, not_(month_count_due(now)))
    return and_(Pupil.deleted_on < cutoff.day, not_(kept_mark), not_(kept_month))


def request_due(
    model: type[AbsenceReport] | type[LeaveRequest],
) -> Callable[[dt.datetime], ColumnElement[bool]]:
    """A family's report or leave request: the evidence behind the codes of its sessions, kept as
    long as they are (6 years after its last day); or as long as its pupil."""

    def due(now: dt.datetime) -> ColumnElement[bool]:
        cutoff = Cutoff.years(now, REGISTER_YEARS)
        return or_(
            and_(model.last_date < cutoff.day, model.submitted_at < cutoff.moment),
            model.pupil_id.in_(select(Pupil.id).where(pupil_due(now))),
        )

    return due


# In order: a table's dependants before it.
RULES: tuple[Rule, ...] = (
    Rule(AbsenceReport, "6 years after its last day, or as long as its pupil", request_due(AbsenceReport)),
    Rule(LeaveRequest, "6 years after its last day, or as long as its pupil", request_due(LeaveRequest)),
    Rule(MarkChange, "as long as its mark", mark_change_due),
    Rule(Mark, "6 years after the session, its recording and its last amendment", mark_due),
    Rule(MarkMonthCount, "until its month is 6 years past", month_count_due),
    Rule(Pupil, "6 years after deletion from roll, once its marks are gone", pupil_due),
)
