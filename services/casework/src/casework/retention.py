"""What casework keeps, and for how long (docs/retention.md).

A closed case is the record of what was done for a family and of any legal action taken: it goes,
with everything recorded on it, 6 years after it closed (once none of its alerts is still open).
An alert that never joined a case goes 6 years after it cleared. The pupils projection (family
keys and contacts) has no deletion signal yet and is kept (docs/retention.md says what is missing).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, not_, or_, select
from sqlalchemy.orm import aliased

from attendance_common.retention import Cutoff, Rule
from casework.models import (
    Action,
    Alert,
    Barrier,
    Case,
    CasePupil,
    LegalAction,
    Plan,
    PlanReview,
    PlanReviewReminder,
    Referral,
    StageEntry,
    SupportMeeting,
)

CASE_YEARS = 6


def case_due(now: dt.datetime) -> ColumnElement[bool]:
    cutoff = Cutoff.years(now, CASE_YEARS)
    linked = aliased(Alert)  # not the alerts table a rule may be deleting from
    open_alert = exists().where(linked.case_id == Case.id, linked.status == "open")
    return and_(Case.status == "closed", Case.closed_at < cutoff.moment, not_(open_alert))


def _of_due_case(model: Any) -> Rule:
    def due(now: dt.datetime) -> ColumnElement[bool]:
        return model.case_id.in_(select(Case.id).where(case_due(now)))

    return Rule(model, "as long as its case", due)


def alert_due(now: dt.datetime) -> ColumnElement[bool]:
    cutoff = Cutoff.years(now, CASE_YEARS)
    unlinked = and_(Alert.case_id.is_(None), Alert.status == "cleared", Alert.cleared_at < cutoff.moment)
    return or_(Alert.case_id.in_(select(Case.id).where(case_due(now))), unlinked)


def meeting_due(now: dt.datetime) -> ColumnElement[bool]:
    return SupportMeeting.recorded_at < Cutoff.years(now, CASE_YEARS).moment


# In order: a case's records before the case.
RULES: tuple[Rule, ...] = (
    *(
        _of_due_case(model)
        for model in (
            StageEntry,
            CasePupil,
            Referral,
            Barrier,
            Action,
            LegalAction,
            PlanReview,
            PlanReviewReminder,
            Plan,
        )
    ),
    Rule(Alert, "as long as its case; without one, 6 years after it cleared", alert_due),
    Rule(Case, "6 years after it closed", case_due),
    Rule(SupportMeeting, "6 years after it was recorded", meeting_due),
)
