"""Tables of attendance updates and parents' preferences (in notifications' metadata)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, Index, Integer, String, Time
from sqlalchemy.orm import Mapped, mapped_column

from attendance_common.db import UtcDateTime
from notifications.models import Base


class UpdateRun(Base):
    """One school's updates for one period, claimed once: the unique key is what makes a repeated
    request, a second worker or a restart send nothing twice (architecture.md "Work driven by the
    clock"). Its counts are the first answer, given again to every repeat."""

    __tablename__ = "update_runs"
    __table_args__ = (Index("uq_update_runs_period", "school_urn", "period_from", "period_to", unique=True),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    school_urn: Mapped[str] = mapped_column(String(6))
    period_from: Mapped[dt.date] = mapped_column(Date)
    period_to: Mapped[dt.date] = mapped_column(Date)
    requested_by: Mapped[str] = mapped_column(String(200))  # the caller's sub, or `schedule`
    pupils: Mapped[int] = mapped_column(Integer)
    messages: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class PupilUpdate(Base):
    """The year-to-date figures of a pupil's latest update, as sent: the next update says the
    attendance improved when its rate is at least 0.01 above these."""

    __tablename__ = "pupil_updates"

    school_urn: Mapped[str] = mapped_column(String(6), primary_key=True)
    upn: Mapped[str] = mapped_column(String(13), primary_key=True)
    run_id: Mapped[str] = mapped_column(String(36))
    period_to: Mapped[dt.date] = mapped_column(Date)
    year_attended: Mapped[int] = mapped_column(Integer)
    year_possible: Mapped[int] = mapped_column(Integer)
    sent_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), index=True)


class UpdateSchedule(Base):
    """A school's weekly updates: the weekday and the time, in Europe/London."""

    __tablename__ = "update_schedules"

    school_urn: Mapped[str] = mapped_column(String(6), primary_key=True)
    frequency: Mapped[str] = mapped_column(String(10))
    weekday: Mapped[str] = mapped_column(String(10))
    time: Mapped[dt.time] = mapped_column(Time)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    updated_by: Mapped[str] = mapped_column(String(200))


class ParentPreferences(Base):
    """What a parent (by email, lower-cased) wants beyond the app: applied to every trigger but
    `first_day_absence`. No row: everything on."""

    __tablename__ = "parent_preferences"

    email: Mapped[str] = mapped_column(String(320), primary_key=True)
    by_email: Mapped[bool] = mapped_column(Boolean)
    by_sms: Mapped[bool] = mapped_column(Boolean)
    attendance_updates: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
