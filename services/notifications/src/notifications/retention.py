"""What notifications keeps, and for how long (docs/retention.md).

Messages sent (deliveries, with their address and text) and the parent app's feed are kept 2 years,
the current and the previous school year: long enough to answer what a family or an LA was told
during a case, short enough that addresses and texts do not pile up. A trigger goes with them.
Pending deliveries stay until they finish. Its copy of the marks follows the register (6 years); a
pupil deleted from roll, with contacts and marks, goes a year after the deletion: the parent app
stops showing the child on that day, and the LA was told then.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, not_, or_, select

from attendance_common.retention import Cutoff, Rule
from notifications.models import AbsenceReport, Contact, Delivery, Mark, Message, Pupil, Trigger
from notifications.updates.models import PupilUpdate, UpdateRun

MESSAGE_YEARS = 2
REGISTER_YEARS = 6
DELETED_PUPIL_YEARS = 1


def delivery_due(now: dt.datetime) -> ColumnElement[bool]:
    cutoff = Cutoff.years(now, MESSAGE_YEARS)
    return and_(Delivery.status != "pending", Delivery.created_at < cutoff.moment)


def message_due(now: dt.datetime) -> ColumnElement[bool]:
    return Message.created_at < Cutoff.years(now, MESSAGE_YEARS).moment


def trigger_due(now: dt.datetime) -> ColumnElement[bool]:
    cutoff = Cutoff.years(now, MESSAGE_YEARS)
    kept_delivery = exists().where(Delivery.trigger_key == Trigger.key, not_(delivery_due(now)))
    kept_message = exists().where(Message.trigger_key == Trigger.key, not_(message_due(now)))
    return and_(Trigger.received_at < cutoff.moment, not_(kept_delivery), not_(kept_message))


def pupil_due(now: dt.datetime) -> ColumnElement[bool]:
    return Pupil.deleted_on < Cutoff.years(now, DELETED_PUPIL_YEARS).day


def _of_due_pupil(now: dt.datetime, pupil_id: Any) -> ColumnElement[bool]:
    return pupil_id.in_(select(Pupil.id).where(pupil_due(now)))


def mark_due(now: dt.datetime) -> ColumnElement[bool]:
    return or_(Mark.date < Cutoff.years(now, REGISTER_YEARS).day, _of_due_pupil(now, Mark.pupil_id))


def contact_due(now: dt.datetime) -> ColumnElement[bool]:
    return _of_due_pupil(now, Contact.pupil_id)


def report_due(now: dt.datetime) -> ColumnElement[bool]:
    """A family's report explains a first-day contact only around its own days: kept as messages."""
    return AbsenceReport.last_date < Cutoff.years(now, MESSAGE_YEARS).day


def run_due(now: dt.datetime) -> ColumnElement[bool]:
    """A run's claim is kept as long as the messages it sent."""
    return UpdateRun.created_at < Cutoff.years(now, MESSAGE_YEARS).moment


def pupil_update_due(now: dt.datetime) -> ColumnElement[bool]:
    return PupilUpdate.sent_at < Cutoff.years(now, MESSAGE_YEARS).moment


# In order: a table's dependants before it.
RULES: tuple[Rule, ...] = (
    Rule(Delivery, "2 years after it was made; pending ones stay", delivery_due),
    Rule(Message, "2 years after it was posted", message_due),
    Rule(Trigger, "2 years after it arrived, once its messages are gone", trigger_due),
    Rule(Mark, "6 years after the session, or as long as its pupil", mark_due),
    Rule(Contact, "as long as its pupil", contact_due),
    Rule(Pupil, "1 year after deletion from roll", pupil_due),
    Rule(AbsenceReport, "2 years after its last day", report_due),
    Rule(UpdateRun, "2 years after the run", run_due),
    Rule(PupilUpdate, "2 years after the pupil's latest update", pupil_update_due),
)
