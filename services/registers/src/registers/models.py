"""Registers tables: schools, pupils (one row per enrolment), marks and their append-only history."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from attendance_common.db import BIG_ID, UtcDateTime, new_metadata, partial_index


class Base(DeclarativeBase):
    metadata = new_metadata()


class School(Base):
    __tablename__ = "schools"

    urn: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    la_code: Mapped[str] = mapped_column(String(3), index=True)
    phase: Mapped[str | None] = mapped_column(String(50))
    # The academy trust (api.md Part 2): a trust officer's `trust` claim matches `trust_id`.
    trust_id: Mapped[str | None] = mapped_column(String(40), index=True)
    trust_name: Mapped[str | None] = mapped_column(String(200))
    attendance_lead_name: Mapped[str | None] = mapped_column(String(200))
    attendance_lead_email: Mapped[str | None] = mapped_column(String(320))
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class Pupil(Base):
    """A pupil's enrolment at one school: a pupil at two schools (dual registration) is two rows."""

    __tablename__ = "pupils"
    __table_args__ = (UniqueConstraint("school_urn", "upn"),)

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    school_urn: Mapped[str] = mapped_column(ForeignKey("schools.urn"))
    upn: Mapped[str] = mapped_column(String(13), index=True)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[dt.date | None] = mapped_column(Date)
    year_group: Mapped[str] = mapped_column(String(2))
    start_date: Mapped[dt.date] = mapped_column(Date)
    fsm_eligible: Mapped[bool] = mapped_column(default=False)
    sen_status: Mapped[str] = mapped_column(String(1), default="N")
    has_social_worker: Mapped[bool] = mapped_column(default=False)
    # The social worker and contacts travel and are served as whole documents: JSON columns.
    social_worker: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    contacts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    deleted_on: Mapped[dt.date | None] = mapped_column(Date)
    deletion_ground: Mapped[str | None] = mapped_column(String(40))
    deletion_note: Mapped[str | None] = mapped_column(String(1000))
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class Mark(Base):
    """The current code for one pupil's session, with who first recorded it (history's first entry)."""

    __tablename__ = "marks"
    __table_args__ = (
        # One mark per session. INCLUDE (code) on PostgreSQL lets the batch lookup and the summaries'
        # edge days read the index alone; one index fewer to maintain at 20,000 inserts a second.
        Index(
            "uq_marks_pupil_date_session",
            "pupil_id",
            "date",
            "session",
            unique=True,
            postgresql_include=["code"],
        ),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"))
    date: Mapped[dt.date] = mapped_column(Date)
    session: Mapped[str] = mapped_column(String(2))
    code: Mapped[str] = mapped_column(String(2))
    minutes_late: Mapped[int | None] = mapped_column(SmallInteger)
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    recorded_by_sub: Mapped[str] = mapped_column(String(200))
    recorded_by_role: Mapped[str] = mapped_column(String(20))
    recorded_by_name: Mapped[str | None] = mapped_column(String(200))


class MarkChange(Base):
    """One amendment, kept forever: never updated or deleted (domain.md section 1)."""

    __tablename__ = "mark_changes"
    __table_args__ = (Index("ix_mark_changes_mark", "mark_id", "id"),)

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    mark_id: Mapped[int] = mapped_column(ForeignKey("marks.id"))
    code: Mapped[str] = mapped_column(String(2))
    previous_code: Mapped[str] = mapped_column(String(2))
    reason: Mapped[str | None] = mapped_column(String(1000))
    changed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    changed_by_sub: Mapped[str] = mapped_column(String(200))
    changed_by_role: Mapped[str] = mapped_column(String(20))
    changed_by_name: Mapped[str | None] = mapped_column(String(200))


class MarkMonthCount(Base):
    """Per pupil and calendar month, sessions in each counted category: summaries read these.

    Maintained in the same transaction as the marks (marks.py); `rebuild_month_counts` recomputes
    them from the marks, which stay the source of truth.
    """

    __tablename__ = "mark_month_counts"
    # Every register adds to a row ~40 times a month: space left on each page lets PostgreSQL update
    # in place (HOT, no index entry), which halves the WAL and cuts a third off the upsert's time.
    __table_args__ = {"postgresql_with": {"fillfactor": 80}}

    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"), primary_key=True)
    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    present: Mapped[int] = mapped_column(Integer, default=0)
    approved_educational_activity: Mapped[int] = mapped_column(Integer, default=0)
    authorised_absence: Mapped[int] = mapped_column(Integer, default=0)
    unauthorised_absence: Mapped[int] = mapped_column(Integer, default=0)


class SchoolDay(Base):
    """A date the school held sessions (domain.md 4: any mark other than `#` for its pupils), with how
    many such marks it has: kept with the marks (marks.py), so an amendment to `#` can end it. The
    pupil lists read a school's last 20 school days from here, not from every pupil's marks."""

    __tablename__ = "school_days"

    school_urn: Mapped[str] = mapped_column(ForeignKey("schools.urn"), primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    marks: Mapped[int] = mapped_column(Integer, default=0)


class FamilyRequestLife:
    """A family's request (an absence report or leave), submitted, then decided or withdrawn: whose
    it is, its days, its status, and when and by whom each happened."""

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    school_urn: Mapped[str] = mapped_column(ForeignKey("schools.urn"))
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"))
    upn: Mapped[str] = mapped_column(String(13))
    first_date: Mapped[dt.date] = mapped_column(Date)
    last_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10))
    submitted_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    submitted_by_sub: Mapped[str] = mapped_column(String(200))
    submitted_by_role: Mapped[str] = mapped_column(String(20))
    submitted_by_name: Mapped[str | None] = mapped_column(String(200))
    decision_note: Mapped[str | None] = mapped_column(String(1000))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    decided_by_sub: Mapped[str | None] = mapped_column(String(200))
    decided_by_role: Mapped[str | None] = mapped_column(String(20))
    decided_by_name: Mapped[str | None] = mapped_column(String(200))
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    withdrawn_by_sub: Mapped[str | None] = mapped_column(String(200))
    withdrawn_by_role: Mapped[str | None] = mapped_column(String(20))
    withdrawn_by_name: Mapped[str | None] = mapped_column(String(200))


class AbsenceReport(FamilyRequestLife, Base):
    """A family's report of an absence (api.md "Families report absences"): evidence, never a mark.

    `note` is the parent's own words (it may say what the illness is): served to the school and the
    family, never put in an event.
    """

    __tablename__ = "absence_reports"
    __table_args__ = (
        # The school's queue and each pupil's list, newest first (the cursor's order).
        Index("ix_absence_reports_school", "school_urn", "submitted_at", "id"),
        Index("ix_absence_reports_pupil", "pupil_id", "submitted_at", "id"),
    )

    first_session: Mapped[str] = mapped_column(String(2))
    last_session: Mapped[str] = mapped_column(String(2))
    reason: Mapped[str] = mapped_column(String(30))
    note: Mapped[str | None] = mapped_column(String(1000))
    expected_return: Mapped[dt.date | None] = mapped_column(Date)


class LeaveRequest(FamilyRequestLife, Base):
    """A request for leave of absence (regulation 11), decided in advance by the school."""

    __tablename__ = "leave_requests"
    __table_args__ = (
        Index("ix_leave_requests_school", "school_urn", "submitted_at", "id"),
        Index("ix_leave_requests_pupil", "pupil_id", "submitted_at", "id"),
        # The marks path reads a school's granted leave overlapping a batch's dates on every request.
        partial_index("ix_leave_requests_granted", "school_urn", "last_date", where="status = 'granted'"),
    )

    category: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(String(1000))
    expected_code: Mapped[str] = mapped_column(String(2))


class SchoolDayCode(Base):
    """Per school, date and code, how many of its pupils' marks carry that code: kept with the marks
    (marks.py), like SchoolDay. The reports' weekly series and absence reasons read a year of an LA's
    schools from here (100 schools: ~200,000 rows) instead of every mark (~23 million)."""

    __tablename__ = "school_day_codes"

    school_urn: Mapped[str] = mapped_column(ForeignKey("schools.urn"), primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    sessions: Mapped[int] = mapped_column(Integer, default=0)
