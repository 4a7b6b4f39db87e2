"""Alerts tables: projections of schools and pupils, each pupil's attendance state, and the alerts.

The per-mark tables (marks, year and week counts) have no foreign key to `pupils`: checking one
per row tripled the cost of copying a morning's marks (measured: 180 vs 55 ms for 20,000 rows),
and the worker always creates the pupil first, in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from attendance_common.db import BIG_ID, UtcDateTime, new_metadata, partial_index
from attendance_common.projections import PupilProjection, SchoolProjection
from attendance_common.scopes import ScopedSettingsRow


class Base(DeclarativeBase):
    metadata = new_metadata()


class School(SchoolProjection, Base):
    """A school's LA and trust, from `attendance.school.upserted`."""

    # Emerging absence's window (evaluation/recent.py): the first of the school's last `recent_days`
    # school days, and the length the pupils' recent counts were built for (None: not built yet).
    recent_from: Mapped[dt.date | None] = mapped_column(Date)
    recent_days: Mapped[int | None] = mapped_column(Integer)


class Pupil(PupilProjection, Base):
    """One enrolment (school + UPN); created by the first event that names it, pupil or mark."""

    has_social_worker: Mapped[bool] = mapped_column(default=False)
    # Who may read this pupil's alerts (role social_worker); kept here, never put in an event.
    social_worker_email: Mapped[str | None] = mapped_column(String(320), index=True)
    deleted_on: Mapped[dt.date | None] = mapped_column(Date)


class Mark(Base):
    """The pupil's current code per session: the facts every rule is evaluated from."""

    __tablename__ = "marks"
    __table_args__ = (
        # Open `N` marks are few at any time: the overdue check reads only its school's.
        partial_index("ix_marks_open_n", "school_urn", "date", where="code = 'N'"),
    )

    pupil_id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    session: Mapped[str] = mapped_column(String(2), primary_key=True)
    code: Mapped[str] = mapped_column(String(2))
    school_urn: Mapped[str] = mapped_column(String(6))  # the pupil's, copied for the overdue-N index


class SchoolDay(Base):
    """A date on which the school held sessions: any mark other than `#` (domain.md section 4)."""

    __tablename__ = "school_days"

    school_urn: Mapped[str] = mapped_column(String(6), primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date, primary_key=True)


class SessionCounts:
    """Sessions per category, the four that make up possible sessions (codes.Counts): a declarative mixin."""

    present: Mapped[int] = mapped_column(Integer, default=0)
    approved_educational_activity: Mapped[int] = mapped_column(Integer, default=0)
    authorised_absence: Mapped[int] = mapped_column(Integer, default=0)
    unauthorised_absence: Mapped[int] = mapped_column(Integer, default=0)


class YearCount(SessionCounts, Base):
    """Sessions per category and illness days, per pupil and academic year (keyed by 1 September)."""

    __tablename__ = "year_counts"
    __table_args__ = {"postgresql_with": {"fillfactor": 50}}  # updated per mark: in place (0004)

    pupil_id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    year_start: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    illness_days: Mapped[int] = mapped_column(Integer, default=0)


class WeekCount(Base):
    """G/N/O/U sessions per pupil and Monday-Sunday week: the penalty window's input."""

    __tablename__ = "week_counts"
    __table_args__ = {"postgresql_with": {"fillfactor": 50}}

    pupil_id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    week: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    unauthorised: Mapped[int] = mapped_column(Integer, default=0)


class RecentCount(SessionCounts, Base):
    """Sessions per category over the pupil's school's window (`School.recent_from` on): kept by
    deltas as marks arrive and as school days leave the window, never recounted per mark."""

    __tablename__ = "recent_counts"
    __table_args__ = {"postgresql_with": {"fillfactor": 50}}  # updated per register: in place

    pupil_id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (
        # At most one open alert per pupil and type (and date, for the per-date types).
        partial_index("uq_alerts_open", "pupil_id", "type", "date_key", where="status = 'open'", unique=True),
        Index("ix_alerts_school_status", "school_urn", "status"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    type: Mapped[str] = mapped_column(String(40))
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"), index=True)
    school_urn: Mapped[str] = mapped_column(String(6))
    la_code: Mapped[str | None] = mapped_column(String(3))
    upn: Mapped[str] = mapped_column(String(13), index=True)
    date: Mapped[dt.date | None] = mapped_column(Date)
    date_key: Mapped[str] = mapped_column(String(10))  # the date, or "-" for types without one
    status: Mapped[str] = mapped_column(String(10))
    raised_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    cleared_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    rule_version: Mapped[str] = mapped_column(String(40))
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))
    acknowledgement_note: Mapped[str | None] = mapped_column(String(1000))


class RuleScope(ScopedSettingsRow, Base):
    """Thresholds and switches for `default`, `la:{code}` or `school:{urn}`."""

    __tablename__ = "rule_scopes"
